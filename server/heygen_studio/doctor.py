"""``heygen-studio doctor``: is this install ready? One line per check, ✓, ! (a warning) or ✗ with the fix.

It goes through the same parts the server uses, without MCP: the HeyGen client (``users/me``; in sandbox mode
against the embedded sandbox, as ``serve`` would), the output folder, the allowed folders, the job store, and
DeepSeek when a key is set. The exit status is 1 when any check fails (✗), else 0. The key is never printed.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import anyio
import httpx2

from .clients import KEY_PAGE
from .core.backends import open_store
from .core.errors import KEY_PLACEHOLDER, AuthenticationError, HeyGenError, PermissionDeniedError
from .core.store import Scope, StoreError
from .settings import Settings

Mark = Literal["✓", "!", "✗"]
CHECK_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Check:
    mark: Mark
    text: str

    def line(self) -> str:
        return f"{self.mark} {self.text}"


def mode(settings: Settings) -> Check:
    if settings.heygen_sandbox:
        return Check("✓", "mode: sandbox (HEYGEN_SANDBOX=1): the embedded offline HeyGen, no credits spent")
    return Check("✓", f"mode: real HeyGen API at {settings.heygen_base_url}")


def sandbox_videos() -> Check:
    """What sandbox videos are here: renders of each request, or (no render extra) one sample clip."""
    from . import extras

    if missing := extras.video_missing():
        return Check("!", f"sandbox videos: each one is {extras.SAMPLE_CLIP}, the same whatever you ask for: the "
                          f"render extra is not installed ({missing} is missing). Fix: {extras.install_command()}")
    if silent := extras.speech_missing():
        return Check("!", f"sandbox videos: rendered as asked but silent: the render extra is not complete "
                          f"({silent} is missing). Fix: {extras.install_command()}")
    return Check("✓", "sandbox videos: rendered as asked (size, length, captions and speech)")


async def account(settings: Settings, wired: Any) -> list[Check]:
    """Key present and accepted (``GET /v3/users/me``), and the credits it has."""
    if settings.api_key is None:
        return [Check("✗", "API key: HEYGEN_API_KEY is not set. Fix: set it to your key "
                           f"({KEY_PAGE}), or set HEYGEN_SANDBOX=1 to try everything offline")]
    if settings.api_key == KEY_PLACEHOLDER:
        return [Check("✗", f"API key: HEYGEN_API_KEY is still the placeholder {KEY_PLACEHOLDER}. Fix: put your "
                           f"key ({KEY_PAGE}) in its place in your client's config")]
    from .core.client import HeyGenClient

    where = "the sandbox" if settings.heygen_sandbox else "HeyGen"
    try:
        with anyio.fail_after(CHECK_TIMEOUT_S):
            async with HeyGenClient(api_key=settings.api_key, base_url=wired.base_url, transport=wired.transport,
                                    timeout=min(settings.heygen_timeout, CHECK_TIMEOUT_S), max_retries=0) as hg:
                user = await hg.account.me()
    except (AuthenticationError, PermissionDeniedError) as exc:
        return [Check("✗", f"API key: rejected by {where} (HTTP {exc.status_code}). Fix: copy the key again from "
                           f"{KEY_PAGE} into HEYGEN_API_KEY (no spaces or quotes)")]
    except TimeoutError:
        return [Check("✗", f"API key: no answer from {wired.base_url} within {CHECK_TIMEOUT_S:.0f} s. Fix: check "
                           "the network or proxy, or HEYGEN_BASE_URL")]
    except HeyGenError as exc:
        return [Check("✗", f"API key: could not check it with {where}: {exc.describe()}")]
    checks = [Check("✓", f"API key: accepted by {where} (account {user.username})")]
    plan, credits, balance, currency = user.balance()
    plan_text = f" ({plan} plan)" if plan else ""
    if credits is not None:
        if credits <= 0:
            checks.append(Check("✗", f"credits: none left{plan_text}. Fix: add credits at "
                                     "https://app.heygen.com/settings?nav=Subscriptions (dry_run=true still works)"))
        else:
            checks.append(Check("✓", f"credits: {credits:g} remaining{plan_text}"))
    elif balance is not None:
        if currency == "usd" and isinstance(balance, int | float):
            fix = "" if balance > 0 else f". Fix: top up the API wallet at {KEY_PAGE}"
            checks.append(Check("✓" if balance > 0 else "✗",
                                f"API wallet: ${balance:,.2f} (pay-as-you-go, at HeyGen's published prices){fix}"))
        else:
            amount = f"{balance:g}" if isinstance(balance, int | float) else str(balance)
            checks.append(Check("✓", f"API wallet: {amount} {currency or ''}".rstrip()))
    else:
        checks.append(Check("✓", f"credits: not reported for this account{plan_text}"))
    return checks


def client_entries() -> list[Check]:
    """Our entry in each MCP client's config on this machine, as ``config --write`` puts it there. One that still
    holds the placeholder key fails: every HeyGen tool call from that client is refused until the key is in."""
    from .clients import (
        CLIENTS,
        SERVER_NAME,
        ConfigFileError,
        claude_code_entry,
        claude_code_file,
        config_file,
        read_config,
        real_key,
        servers_key,
    )

    checks = []
    for client in CLIENTS:
        if client == "claude-code":
            where, entry = claude_code_file(), claude_code_entry()
        else:
            where = config_file(client)
            try:
                servers = read_config(where, client).get(servers_key(client)) or {}
            except ConfigFileError:
                continue  # not ours to judge: --write says what is wrong with it
            entry = servers.get(SERVER_NAME)
        if not isinstance(entry, dict):
            continue
        env: dict[str, Any] = entry.get("env") or {}
        env = env if isinstance(env, dict) else {}
        key = env.get("HEYGEN_API_KEY")
        if env.get("HEYGEN_SANDBOX") in ("1", "true", "yes"):
            how = "the offline sandbox"
        elif key == KEY_PLACEHOLDER:
            checks.append(Check("✗", f"{client}: the \"{SERVER_NAME}\" entry in {where} still has the placeholder key "
                                     f"{KEY_PLACEHOLDER}, so every HeyGen tool call from {client} is refused. Fix: "
                                     f"put your key ({KEY_PAGE}) in its place there and restart {client}, or run "
                                     f"`heygen-studio config {client} --sandbox --write` to use the offline sandbox"))
            continue
        elif real_key(key):
            how = "its key is set"
        elif isinstance(key, str) and key.startswith("${input:"):
            how = "VS Code asks for the key"
        elif "url" in entry or "serverUrl" in entry:
            how = "serve --http"
        else:
            how = "no key in it: the server's own environment must have HEYGEN_API_KEY"
        checks.append(Check("✓", f"{client}: \"{SERVER_NAME}\" entry in {where} ({how})"))
    if not checks:
        checks.append(Check("✓", "MCP clients: none has a \"heygen\" entry on this machine yet (nothing wrong: "
                                 "`heygen-studio config <client> --write` adds one for claude-desktop, claude-code, "
                                 "cursor, vscode or windsurf)"))
    return checks


def _writable_folder(folder: Path) -> str | None:
    """Why files cannot be written in ``folder`` (None when one can be)."""
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".doctor-", suffix=".tmp")
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    Path(probe).unlink(missing_ok=True)
    return None


def output_folder(settings: Settings) -> Check:
    folder = settings.heygen_output_dir
    created = ""
    if not folder.is_dir():
        if folder.exists() or folder.is_symlink():
            return Check("✗", f"output folder: {folder} is not a folder. Fix: set HEYGEN_OUTPUT_DIR to a folder "
                              "you can write to")
        try:
            folder.mkdir(parents=True, mode=0o700)
        except OSError as exc:
            return Check("✗", f"output folder: cannot create {folder} ({exc.strerror or exc}). Fix: set "
                              "HEYGEN_OUTPUT_DIR to a folder you can write to")
        created = " (created it now)"
    problem = _writable_folder(folder)
    if problem is not None:
        return Check("✗", f"output folder: cannot write in {folder} ({problem}). Fix: set HEYGEN_OUTPUT_DIR to a "
                          "folder you can write to, or change its permissions")
    return Check("✓", f"output folder: {folder} is writable{created}")


def allowed_folders(settings: Settings) -> list[Check]:
    """The folders tools may read files from: the broad ones warned about, the missing ones named."""
    broad = {Path(Path.home().anchor), Path.home().resolve()}
    checks = []
    for folder in settings.heygen_allowed_dirs:
        if folder == settings.heygen_output_dir:
            continue
        if folder in broad:
            checks.append(Check("!", f"allowed folder: {folder} lets tools read every file under it. Fix: list "
                                     "only the folders with your media in HEYGEN_ALLOWED_DIRS"))
        elif not folder.is_dir():
            checks.append(Check("!", f"allowed folder: {folder} does not exist (or is not a folder). Fix: correct "
                                     "HEYGEN_ALLOWED_DIRS"))
        else:
            checks.append(Check("✓", f"allowed folder: {folder}"))
    if not checks:
        checks.append(Check("✓", "allowed folders: the output folder, plus the roots your client declares "
                                 "(HEYGEN_ALLOWED_DIRS adds more)"))
    return checks


def job_store(settings: Settings) -> Check:
    path = settings.store_path
    stores = open_store(settings)
    store = stores.jobs()
    try:
        store.recent(Scope.of(settings.heygen_base_url, None), limit=1)  # (opened and migrated: a write)
    except StoreError as exc:
        if stores.postgres:
            return Check("✗", f"job store: {exc.message}. Fix: HEYGEN_STORE_URL (paid creates are refused until "
                              "the job store can be written)")
        return Check("✗", f"state folder: {exc.describe()}. Fix: set HEYGEN_STATE_DIR to a folder you can write "
                          "to (paid creates are refused until the job store can be written)")
    finally:
        store.close()
    if stores.postgres:
        return Check("✓", f"job store: {stores.describe()} answers, its schema up to date (HEYGEN_STORE_URL)")
    problem = _writable_folder(path.parent)
    if problem is not None:
        return Check("✗", f"state folder: cannot write in {path.parent} ({problem}). Fix: set HEYGEN_STATE_DIR "
                          "to a folder you can write to")
    return Check("✓", f"state folder: job store {path} is writable")


def replicas(settings: Settings) -> Check:
    """On PostgreSQL (several replicas may share the database): what every replica must share besides it."""
    if settings.heygen_secret_key is None:
        from .core.people import MAKE_SECRET_KEY

        return Check("✗", "replicas: HEYGEN_SECRET_KEY is not set, so a team server on PostgreSQL will not start and "
                          "add_webhook() cannot keep its secret in the database. Fix: set it to a Fernet key "
                          f"({MAKE_SECRET_KEY}), the same on every replica")
    return Check("✓", "replicas: HEYGEN_SECRET_KEY is set (the same on every replica signs the same download links "
                      f"and reads the same webhook secrets); keep HEYGEN_OUTPUT_DIR ({settings.heygen_output_dir}) on "
                      "storage every replica mounts at that path")


def daily_budget(settings: Settings, wired: Any) -> Check:
    """HEYGEN_DAILY_CREDITS: what is left of it for this account, from the job store every process shares."""
    from .core.store import daily_summary

    store = open_store(settings).jobs()
    try:
        spent = store.spent(Scope.of(wired.base_url, settings.api_key, instance=wired.instance))
    except StoreError as exc:
        return Check("✗", f"daily limit: cannot read what was spent ({exc.describe()})")
    finally:
        store.close()
    limit = settings.heygen_daily_credits
    if limit is not None and sum(amount for _, amount in spent) >= limit:
        return Check("!", f"daily limit: {daily_summary(spent, limit)}. Paid calls are refused until some of it "
                          "is 24 h old, or raise HEYGEN_DAILY_CREDITS")
    return Check("✓", f"daily limit: {daily_summary(spent, limit)}")


async def deepseek(settings: Settings, wired: Any) -> Check:
    if settings.deepseek_api_key is None:
        return Check("✓", "scripts: DEEPSEEK_API_KEY is not set; write_script asks your client's own model "
                          "(or write scripts yourself)")
    if wired.deepseek_stand_in is not None:
        return Check("✓", "scripts: DeepSeek is the sandbox's offline stand-in in sandbox mode")
    base = settings.deepseek_base_url
    try:
        with anyio.fail_after(CHECK_TIMEOUT_S):
            async with httpx2.AsyncClient(timeout=CHECK_TIMEOUT_S) as http:
                answer = await http.get(f"{base}/models", headers={
                    "Authorization": f"Bearer {settings.deepseek_api_key.get_secret_value()}"})
    except (TimeoutError, httpx2.HTTPError) as exc:
        return Check("✗", f"scripts: cannot reach DeepSeek at {base} ({exc.__class__.__name__}). Fix: check the "
                          "network, or DEEPSEEK_BASE_URL")
    if answer.status_code in (401, 403):
        return Check("✗", f"scripts: DeepSeek at {base} rejected DEEPSEEK_API_KEY (HTTP {answer.status_code}). "
                          "Fix: copy the key again")
    if answer.status_code != 200:
        return Check("✗", f"scripts: DeepSeek at {base} answered HTTP {answer.status_code} to GET /models. Fix: "
                          "check DEEPSEEK_BASE_URL (an OpenAI-compatible API)")
    try:
        models = [m.get("id") for m in answer.json().get("data", []) if isinstance(m, dict)]
    except (ValueError, AttributeError):
        models = []
    if models and settings.deepseek_model not in models:
        return Check("✗", f"scripts: DeepSeek at {base} does not offer {settings.deepseek_model!r} (it offers "
                          f"{', '.join(str(m) for m in models[:5])}). Fix: set DEEPSEEK_MODEL")
    return Check("✓", f"scripts: DeepSeek reachable at {base} (model {settings.deepseek_model})")


async def checks(settings: Settings) -> list[Check]:
    from .house import make_wiring  # the same wiring ``serve`` uses (the embedded sandbox in sandbox mode)

    found = [mode(settings)]
    if settings.heygen_sandbox:
        found.append(sandbox_videos())
    found.append(job_store(settings))
    if settings.store_url:
        found.append(replicas(settings))
    wired = make_wiring(settings, None)()
    found += await account(settings, wired)
    found.append(daily_budget(settings, wired))
    found.append(output_folder(settings))
    found += allowed_folders(settings)
    found.append(await deepseek(settings, wired))
    found += client_entries()
    return found


def run(settings: Settings, out: Any = None) -> int:
    out = out or sys.stdout
    logging.getLogger().setLevel(logging.WARNING)  # the lines below are the report; request logs are noise here
    results = anyio.run(checks, settings)
    for check in results:
        print(check.line(), file=out)
    failed = sum(c.mark == "✗" for c in results)
    if failed:
        print(f"{failed} problem{'s' if failed > 1 else ''} to fix (✗ above).", file=out)
        return 1
    warned = sum(c.mark == "!" for c in results)
    print(f"Ready, with {warned} warning{'s' if warned > 1 else ''} (! above)." if warned else "Ready.", file=out)
    return 0
