"""``heygen-studio config <client>``: the exact MCP entry for this install, printed or merged into the client's file.

Every entry runs the absolute path of the ``heygen-studio`` command that is running now, with
``HEYGEN_OUTPUT_DIR`` and ``HEYGEN_ALLOWED_DIRS`` as absolute paths (a desktop host may start servers in ``/``),
and the key as the placeholder ``YOUR_HEYGEN_API_KEY``: the key set here is never read, printed or written.
VS Code's entry asks for the key when the server starts (an ``inputs`` prompt, stored by VS Code).

``--write`` merges the entry into the client's own file: a backup of the file first, then only the ``heygen``
server changes (other servers and keys stay as they were, and a key already in that entry is kept). A file that
is not JSON is refused with its name and the position of the error; so is a VS Code file with comments or
trailing commas (JSONC), because rewriting it would drop them: paste the printed entry by hand there.
VS Code's file is the project's: a ``.vscode`` or ``mcp.json`` that links outside the working folder (a cloned
repository can ship one pointing at ``~/.ssh`` or ``~/.docker/config.json``) is refused, naming where it leads; a
user-level file that is a (dotfiles) link is written where it points. A backup is private (0600) and created
under an unguessable name with ``O_CREAT|O_EXCL|O_NOFOLLOW``, so a link planted at its name is never followed.
Claude Code keeps its servers itself: ``--write`` runs the ``claude mcp add`` line when ``claude`` is on PATH.

``--http`` gives the entry for a running ``serve --http`` instead: its URL (``HEYGEN_PUBLIC_URL``, else
``http://127.0.0.1:<--port>/mcp``) and its bearer token (``HEYGEN_HTTP_TOKEN``, else the one kept in the state
folder, made now if there is none yet: the same one ``serve --http`` uses). Claude Desktop starts its servers
over stdio from its file, so it gets no HTTP entry.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .http_token import TokenError, stored_token

if TYPE_CHECKING:  # the CLI imports this module for its parser: no pydantic before a command needs it
    from .settings import Settings

SERVER_NAME = "heygen"
KEY_PLACEHOLDER = "YOUR_HEYGEN_API_KEY"
KEY_PAGE = "https://app.heygen.com/settings?nav=API"
VSCODE_KEY_INPUT = "heygen-api-key"
CLIENTS = ("claude-desktop", "claude-code", "cursor", "vscode", "windsurf")


class ConfigFileError(Exception):
    """The client's file cannot be merged into; ``str()`` names the file and what to do."""


@dataclass(frozen=True)
class Launch:
    """How a client starts this server."""

    command: str
    args: tuple[str, ...]
    env: dict[str, str]


def command_path() -> list[str]:
    """The installed ``heygen-studio`` command beside this interpreter, as an absolute path (pipx, uv tool and a
    venv all put it there); without one (running from a source tree), this interpreter with ``-m heygen_studio``."""
    name = "heygen-studio.exe" if os.name == "nt" else "heygen-studio"
    script = Path(sysconfig.get_path("scripts")) / name
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "heygen_studio"]


def temporary_install(command: str) -> bool:
    """Whether ``command`` lives in uv's cache (``uvx`` runs from there; uv may clean it at any time)."""
    return any(part.startswith("archive-v") for part in Path(command).parts)


@dataclass(frozen=True)
class Remote:
    """How a client reaches a running ``serve --http``."""

    url: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def remote(settings: Settings, *, port: int = 8000) -> Remote:
    """The URL and token of ``serve --http`` as this install runs it; ``TokenError`` if no token can be kept."""
    base = settings.heygen_public_url or f"http://127.0.0.1:{port}"
    if settings.heygen_http_token is not None:
        token = settings.heygen_http_token.get_secret_value()
    else:
        token, _ = stored_token(settings.store_path.parent)
    return Remote(url=f"{base}/mcp", token=token)


def launch(settings: Settings, *, sandbox: bool) -> Launch:
    command, *pre = command_path()
    env = {"HEYGEN_OUTPUT_DIR": str(settings.heygen_output_dir),
           "HEYGEN_ALLOWED_DIRS": os.pathsep.join(str(p) for p in settings.heygen_allowed_dirs)}
    if sandbox:
        env["HEYGEN_SANDBOX"] = "1"
    else:
        env["HEYGEN_API_KEY"] = KEY_PLACEHOLDER
    return Launch(command=command, args=(*pre, "serve"), env=env)


# -- where each client keeps its servers --------------------------------------------------------
def config_file(client: str) -> Path:
    """The file ``--write`` merges into (Claude Code has none: it keeps its servers itself)."""
    home = Path.home()
    if client == "claude-desktop":
        if sys.platform == "darwin":
            return home / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json"
        if os.name == "nt":
            return Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming") / "Claude" / \
                "claude_desktop_config.json"
        return Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "Claude" / "claude_desktop_config.json"
    if client == "cursor":
        return home / ".cursor" / "mcp.json"
    if client == "windsurf":
        return home / ".codeium" / "windsurf" / "mcp_config.json"
    if client == "vscode":
        return Path.cwd() / ".vscode" / "mcp.json"
    raise ValueError(f"{client} keeps no config file here")


def servers_key(client: str) -> str:
    return "servers" if client == "vscode" else "mcpServers"


def entry(client: str, spec: Launch | Remote) -> dict[str, Any]:
    """The server's entry (the value under ``servers_key(client)[SERVER_NAME]``)."""
    if isinstance(spec, Remote):  # each client's own keys for a streamable-HTTP server
        if client == "vscode":
            return {"type": "http", "url": spec.url, "headers": spec.headers}
        if client == "windsurf":
            return {"serverUrl": spec.url, "headers": spec.headers}
        return {"url": spec.url, "headers": spec.headers}
    env = dict(spec.env)
    if client == "vscode":
        if "HEYGEN_API_KEY" in env:
            env["HEYGEN_API_KEY"] = "${input:" + VSCODE_KEY_INPUT + "}"
        return {"type": "stdio", "command": spec.command, "args": list(spec.args), "env": env}
    return {"command": spec.command, "args": list(spec.args), "env": env}


def vscode_input() -> dict[str, Any]:
    return {"type": "promptString", "id": VSCODE_KEY_INPUT, "description": "HeyGen API key", "password": True}


def document(client: str, spec: Launch | Remote) -> dict[str, Any]:
    """The whole snippet to print for a JSON-configured client."""
    doc: dict[str, Any] = {servers_key(client): {SERVER_NAME: entry(client, spec)}}
    if client == "vscode" and isinstance(spec, Launch) and "HEYGEN_API_KEY" in spec.env:
        doc["inputs"] = [vscode_input()]
    return doc


def claude_code_argv(spec: Launch | Remote) -> list[str]:
    """``claude mcp add`` for this server, at user scope (every project)."""
    if isinstance(spec, Remote):
        return ["claude", "mcp", "add", "--transport", "http", "--scope", "user", SERVER_NAME, spec.url,
                "--header", f"Authorization: Bearer {spec.token}"]
    argv = ["claude", "mcp", "add", "--transport", "stdio", "--scope", "user", SERVER_NAME]
    for name, value in spec.env.items():
        argv += ["--env", f"{name}={value}"]
    return [*argv, "--", spec.command, *spec.args]


def render(client: str, spec: Launch | Remote) -> str:
    """What ``config <client>`` prints on stdout: JSON for the file, or the shell line for Claude Code."""
    if client == "claude-code":
        return shlex.join(claude_code_argv(spec))
    return json.dumps(document(client, spec), indent=2)


# -- merging ---------------------------------------------------------------------------------
_JSONC = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/|,(?=\s*[}\]])', re.S)


def _strip_jsonc(text: str) -> str:
    """JSON with comments and trailing commas → JSON (strings kept as they are)."""
    return _JSONC.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)


def read_config(path: Path, client: str) -> dict[str, Any]:
    """The file's JSON object ({} when it does not exist or is empty); ``ConfigFileError`` otherwise."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"cannot read {path} ({exc.__class__.__name__}: {exc}); fix it or move it away, "
                              "then run this again") from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        try:
            json.loads(_strip_jsonc(text))
        except json.JSONDecodeError:
            raise ConfigFileError(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
                                  "fix or move that file, then run this again. Nothing was written.") from None
        raise ConfigFileError(f"{path} has comments or trailing commas; rewriting it would drop them, so it was "
                              f"left as it is. Paste the entry printed above under \"{servers_key(client)}\" by "
                              "hand.") from None
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path} holds a JSON {type(data).__name__}, not an object; fix or move that file, "
                              "then run this again. Nothing was written.")
    servers = data.get(servers_key(client))
    if servers is not None and not isinstance(servers, dict):
        raise ConfigFileError(f"{path}: \"{servers_key(client)}\" is not an object; fix it, then run this again. "
                              "Nothing was written.")
    return data


def merge(data: dict[str, Any], client: str, spec: Launch | Remote) -> dict[str, Any]:
    """``data`` with this server's entry set; every other key and server kept, in order. A real key already in
    the old entry is kept in place of the placeholder."""
    merged = dict(data)
    key = servers_key(client)
    servers = dict(merged.get(key) or {})
    new = entry(client, spec)
    old = servers.get(SERVER_NAME)
    old_env = old.get("env") if isinstance(old, dict) else None
    kept = old_env.get("HEYGEN_API_KEY") if isinstance(old_env, dict) else None
    new_env = new.get("env", {})
    if new_env.get("HEYGEN_API_KEY") == KEY_PLACEHOLDER and isinstance(kept, str) and kept:
        new_env["HEYGEN_API_KEY"] = kept
    servers[SERVER_NAME] = new
    merged[key] = servers
    if client == "vscode" and str(new_env.get("HEYGEN_API_KEY", "")).startswith("${input:"):
        inputs = merged.get("inputs")
        inputs = list(inputs) if isinstance(inputs, list) else []
        if not any(isinstance(i, dict) and i.get("id") == VSCODE_KEY_INPUT for i in inputs):
            inputs.append(vscode_input())
        merged["inputs"] = inputs
    return merged


def _write_atomically(path: Path, text: str, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Written:
    path: Path
    backup: Path | None
    changed: bool
    key_kept: bool


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def _resolved(path: Path) -> Path:
    """``path`` with every link followed; ``ConfigFileError`` for a link loop."""
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
        raise ConfigFileError(f"{path} cannot be resolved ({exc}): a link on the way points back at itself or cannot "
                              "be read. Remove that link, then run this again. Nothing was written.") from None


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def confined(path: Path, project: Path) -> Path:
    """A project-level file (VS Code's ``.vscode/mcp.json``), resolved, if it and its folder stay inside
    ``project``; ``ConfigFileError`` naming where a link leads otherwise.

    A cloned repository can ship ``.vscode`` as a link to ``~/.ssh``, or ``mcp.json`` as a link to
    ``~/.docker/config.json``: followed, ``--write`` would put our entry (and a backup) there."""
    root = _resolved(project)
    for candidate in (path.parent, path):
        target = _resolved(candidate)
        if not _inside(target, root):
            raise ConfigFileError(
                f"{candidate} leads outside this project folder ({root}), to {target}: a link there (a cloned "
                "repository can ship one) would make --write write there instead. Nothing was written. "
                f"If this project is yours, make {candidate} a plain {'folder' if candidate == path.parent else 'file'}"
                " and run this again; otherwise paste the entry printed above by hand where you mean it.")
    return _resolved(path)


def _backup(path: Path) -> Path:
    """A private copy of ``path`` beside it, under a name nobody can guess in advance, created with
    ``O_CREAT|O_EXCL|O_NOFOLLOW``: a link planted at that name makes the open fail, it is never written through.
    The copy can hold an API key, so it is the user's alone (0600)."""
    info = path.stat()
    data = path.read_bytes()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for _ in range(8):
        backup = path.with_name(f"{path.name}.{stamp}-{secrets.token_hex(8)}.bak")
        try:
            fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY, 0o600)
        except FileExistsError:
            continue  # a name taken (or a link planted) by chance: another random name
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
                if os.utime in os.supports_fd:
                    os.utime(fh.fileno(), ns=(info.st_atime_ns, info.st_mtime_ns))
        except BaseException:
            backup.unlink(missing_ok=True)
            raise
        return backup
    raise OSError(errno.EEXIST, f"no free backup name beside {path}")


def write_config(client: str, spec: Launch | Remote, path: Path | None = None, *,
                 project: Path | None = None) -> Written:
    """Merge this server into the client's file: backup first, then an atomic replace.

    A user-level file that is a link is written where the link points, so a dotfiles link stays a link. A
    project-level file (``project``: VS Code's, in the working folder) must stay inside the project, links
    followed (``confined``): a repository is not trusted to say where our entry goes."""
    path = path or config_file(client)
    if project is None and client == "vscode":
        project = Path.cwd()
    path = confined(path, project) if project is not None else _resolved(path)
    data = read_config(path, client)
    merged = merge(data, client, spec)
    key = merged[servers_key(client)][SERVER_NAME].get("env", {}).get("HEYGEN_API_KEY")
    kept = isinstance(key, str) and key != KEY_PLACEHOLDER and not key.startswith("${input:")
    if merged == data:
        return Written(path=path, backup=None, changed=False, key_kept=kept)
    backup = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = 0o600
        if path.exists():
            mode = path.stat().st_mode & 0o777
            backup = _backup(path)
        _write_atomically(path, json.dumps(merged, indent=2, ensure_ascii=False) + "\n", mode)
    except OSError as exc:
        raise ConfigFileError(f"cannot write {path} ({exc.strerror or exc}); check that folder's permissions, or "
                              "paste the entry printed above by hand. The file was not changed.") from None
    return Written(path=path, backup=backup, changed=True, key_kept=kept)


# -- the command -----------------------------------------------------------------------------
def run(client: str, settings: Settings, *, sandbox: bool, write: bool, http: bool = False, port: int = 8000,
        out: Any = None, err: Any = None) -> int:
    """Print the entry (stdout); with ``write``, merge it into the client's file. Notes go to stderr."""
    out = out or sys.stdout
    err = err or sys.stderr
    if http:
        return _run_http(client, settings, write=write, port=port, out=out, err=err)
    spec = launch(settings, sandbox=sandbox)
    print(render(client, spec), file=out)
    if temporary_install(spec.command):
        print(f"Note: {spec.command} is in uv's cache (uvx), which uv may clean; for an entry that lasts, install "
              "with `uv tool install` or `pipx install` and run this again from there.", file=err)
    if client == "claude-code":
        return _claude_code(spec, write=write, err=err)
    path = config_file(client)
    if not write:
        where = "this project's .vscode/mcp.json" if client == "vscode" else str(path)
        print(f"Add this to {where}, or run it again with --write to merge it there (backup first).", file=err)
        _key_note(client, sandbox, err)
        return 0
    written = _write(client, spec, err)
    if written is None:
        return 1
    if not sandbox and not written.key_kept:
        _key_note(client, sandbox, err, path=written.path)
    elif written.key_kept:
        print("Kept the API key that entry already had.", file=err)
    return 0


def _run_http(client: str, settings: Settings, *, write: bool, port: int, out: Any, err: Any) -> int:
    """``config <client> --http``: the entry for a running ``serve --http``, its token included."""
    if client == "claude-desktop":
        print("heygen-studio: Claude Desktop starts its servers over stdio from its config file, so it gets no HTTP "
              "entry: run 'heygen-studio config claude-desktop' (without --http) instead.", file=err)
        return 1
    try:
        spec = remote(settings, port=port)
    except TokenError as exc:
        print(f"heygen-studio: {exc}", file=err)
        return 1
    print(render(client, spec), file=out)
    serve = "'heygen-studio serve --http" + ("'" if port == 8000 else f" --port {port}'")
    note = (f"This entry carries the server's token: keep it private. Start the server with {serve} (same "
            "HEYGEN_STATE_DIR or HEYGEN_HTTP_TOKEN, so it asks for this token).")
    if client == "claude-code":
        return _claude_code(spec, write=write, err=err, note=note)
    if not write:
        path = config_file(client)
        where = "this project's .vscode/mcp.json" if client == "vscode" else str(path)
        print(f"Add this to {where}, or run it again with --write to merge it there (backup first). {note}",
              file=err)
        return 0
    return 0 if _write(client, spec, err, note=note) is not None else 1


def _write(client: str, spec: Launch | Remote, err: Any, *, note: str = "") -> Written | None:
    """``--write``: merge the entry and say what happened (None, said, when the file was refused)."""
    try:
        written = write_config(client, spec)
    except ConfigFileError as exc:
        print(f"heygen-studio: {exc}", file=err)
        return None
    if not written.changed:
        print(f"{written.path} already has this entry; nothing changed.", file=err)
    else:
        backup = f" (backup: {written.backup})" if written.backup else " (a new file)"
        print(f"Wrote the \"{SERVER_NAME}\" server to {written.path}{backup}. Restart the client to load it."
              f"{' ' + note if note else ''}", file=err)
    return written


def _key_note(client: str, sandbox: bool, err: Any, path: Path | None = None) -> None:
    if sandbox:
        print("Sandbox mode: no key needed, nothing is paid, videos are made offline.", file=err)
    elif client == "vscode":
        print("VS Code asks for your HeyGen API key when the server first starts "
              f"(get it at {KEY_PAGE}).", file=err)
    else:
        where = f" in {path}" if path else ""
        print(f"Replace {KEY_PLACEHOLDER}{where} with your HeyGen API key ({KEY_PAGE}); "
              "or use --sandbox to try it offline first.", file=err)


def _claude_code(spec: Launch | Remote, *, write: bool, err: Any, note: str = "") -> int:
    argv = claude_code_argv(spec)
    has_key = isinstance(spec, Launch) and "HEYGEN_API_KEY" in spec.env
    key_note = f" {note}" if note else "" if not has_key else (
        f" Put your HeyGen API key in place of {KEY_PLACEHOLDER} first ({KEY_PAGE}).")
    if not write:
        print(f"Run this line to add the server to Claude Code (every project).{key_note}", file=err)
        return 0
    found = shutil.which("claude")
    if found is None:
        print(f"`claude` is not on PATH, so nothing was run: run the line above where Claude Code is "
              f"installed.{key_note}", file=err)
        return 1
    done = subprocess.run([found, *argv[1:]], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60, check=False)
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        print(f"heygen-studio: `claude mcp add` failed ({reason[-1] if reason else f'exit {done.returncode}'}); "
              f"if a \"{SERVER_NAME}\" server exists already, remove it with `claude mcp remove {SERVER_NAME} "
              "--scope user` and run this again.", file=err)
        return 1
    if has_key:
        key_note = (f" Its key is the placeholder {KEY_PLACEHOLDER}: put your key ({KEY_PAGE}) in place of it in "
                    "~/.claude.json, or use --sandbox to try it offline first.")
    print(f"Added the \"{SERVER_NAME}\" server to Claude Code (user scope).{key_note}", file=err)
    return 0
