"""The bundled docs are code: every example in them is checked.

* ``references/<topic>.md`` exist for all topics; every JSON block carries a marker: HTTP request and
  response examples are validated against HeyGen's contract, MCP tool arguments against the tool's
  input schema.
* Every Python block (references, SKILL.md, prompts) runs to completion (or exit 0) against the offline sandbox,
  in the pytest process: each block in fresh globals, the blocks of one file in order.
* SKILL.md passes the Agent Skills validator and names only references that exist.
* Each MCP prompt file has front matter, and its ``{placeholders}`` are exactly its arguments.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import string
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from jsonschema import Draft202012Validator

from contract import require_contract

ROOT = Path(__file__).resolve().parents[1]
REFERENCES = ROOT / "references"
PROMPTS = ROOT / "prompts"
SKILL = ROOT / "SKILL.md"

TOPICS = (
    "authentication", "quota", "video-status", "assets", "avatars", "voices", "scripts", "video-generation",
    "video-agent", "prompt-optimizer", "dimensions", "backgrounds", "text-overlays", "captions", "templates",
    "video-translation", "streaming-avatars", "photo-avatars", "webhooks", "remotion-integration", "lipsync",
    "batches",
)  # fmt: skip
PROMPT_NAMES = ("optimize_video_prompt", "write_video_script", "plan_studio_video", "create_photo_avatar_guide")

FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
MARKER = re.compile(r"^<!--\s*(request|response|tool):\s*(.*?)\s*-->$")
REQUEST = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) (/\S+)$")
RESPONSE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) (/\S+) (\d{3})$")


@dataclass(frozen=True)
class Block:
    file: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    marker: tuple[str, str] | None

    @property
    def where(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}"


def blocks(path: Path, text: str | None = None) -> list[Block]:
    text = path.read_text(encoding="utf-8") if text is None else text
    found = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
        marked = MARKER.match(before)
        found.append(Block(path, line, match.group(1).lower(), match.group(2),
                           (marked.group(1), marked.group(2)) if marked else None))
    return found


def reference_files() -> list[Path]:
    return [REFERENCES / f"{topic}.md" for topic in TOPICS]


def json_blocks() -> list[Block]:
    return [b for path in reference_files() if path.is_file() for b in blocks(path) if b.lang == "json"]


def marked(kind: str) -> list[Any]:
    return [pytest.param(b, id=b.where) for b in json_blocks() if b.marker and b.marker[0] == kind]


# -- (a) references exist; JSON examples are marked and valid ----------------------------------------------------
@pytest.mark.parametrize("topic", TOPICS)
def test_reference_exists_and_is_a_practical_length(topic: str) -> None:
    path = REFERENCES / f"{topic}.md"
    assert path.is_file(), f"missing {path.relative_to(ROOT)}"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines and lines[0].startswith("# "), "a reference starts with a '# ' title"
    assert 50 <= len(lines) <= 260, f"{len(lines)} lines; keep a reference roughly 60-200 lines"
    # The server lists the first paragraph as the resource's description: one whole line, <= 200 chars.
    assert lines[1] == "" and lines[2].strip() and lines[3] == "", "line 3 is a one-line summary paragraph"
    assert len(lines[2]) <= 200 and lines[2].rstrip().endswith("."), lines[2]


def test_every_json_block_carries_a_marker() -> None:
    unmarked = [b.where for b in json_blocks() if b.marker is None]
    assert not unmarked, "```json blocks need <!-- request|response|tool: ... --> on the line above: " + str(unmarked)
    bad = [b.where for b in json_blocks() if b.marker and b.marker[0] == "request" and not REQUEST.match(b.marker[1])]
    bad += [b.where for b in json_blocks()
            if b.marker and b.marker[0] == "response" and not RESPONSE.match(b.marker[1])]
    assert not bad, f"markers must read 'METHOD /concrete/path' (+ ' STATUS' for responses): {bad}"


def _contract() -> Any:
    return require_contract()


@pytest.mark.parametrize("block", marked("request"))
def test_request_example_matches_the_contract(block: Block) -> None:
    contract = _contract()
    match = REQUEST.match(block.marker[1]) if block.marker else None
    assert match, block.marker
    method, path = match.groups()
    assert "{" not in path, "use a concrete path, not a template"
    problems = contract.check_request(method, path, body=json.loads(block.code), content_type="application/json")
    assert problems == []


@pytest.mark.parametrize("block", marked("response"))
def test_response_example_matches_the_contract(block: Block) -> None:
    contract = _contract()
    match = RESPONSE.match(block.marker[1]) if block.marker else None
    assert match, block.marker
    method, path, status = match.groups()
    assert "{" not in path, "use a concrete path, not a template"
    assert contract.check_response(method, path, int(status), json.loads(block.code)) == []


@pytest.fixture(scope="module")
def tool_schemas() -> dict[str, dict[str, Any]]:
    from heygen_studio.server import create_server
    from heygen_studio.settings import Settings

    server = create_server(Settings(_env_file=None, heygen_toolsets="all"))

    async def listing() -> dict[str, dict[str, Any]]:
        return {tool.name: tool.input_schema for tool in await server.list_tools()}

    return anyio.run(listing)


@pytest.mark.parametrize("block", marked("tool"))
def test_tool_example_matches_the_input_schema(block: Block, tool_schemas: dict[str, dict[str, Any]]) -> None:
    name = block.marker[1] if block.marker else ""
    assert name in tool_schemas, f"no tool named {name!r}; tools: {sorted(tool_schemas)}"
    arguments = json.loads(block.code)
    errors = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
              for e in Draft202012Validator(tool_schemas[name]).iter_errors(arguments)]
    errors += [f"unknown argument {key!r}" for key in arguments if key not in tool_schemas[name].get("properties", {})]
    assert errors == []


# A tool is named as `name(...)`, or as a bare `name` when its verb is not also common in field names.
VERBS = "create|list|get|wait_for|download|delete|upload|reply_to|stop|translate|add|write|produce|read"
TOOL_CALL = re.compile(rf"`((?:{VERBS})_[a-z0-9_]+)\(")
TOOL_WORD = re.compile(r"`((?:create|list|wait_for|download|reply_to|stop|translate|produce|write|read)_[a-z0-9_]+)`")
NOT_TOOLS = {"create_app", "create_server"}


@pytest.mark.parametrize("path", [*reference_files(), SKILL, *sorted(PROMPTS.glob("*.md"))], ids=lambda p: p.name)
def test_docs_name_only_tools_that_exist(path: Path, tool_schemas: dict[str, dict[str, Any]]) -> None:
    text = path.read_text(encoding="utf-8")
    text = FENCE.sub("", text)  # code blocks are checked by running them
    named = set(TOOL_CALL.findall(text)) | set(TOOL_WORD.findall(text))
    unknown = sorted(named - set(tool_schemas) - NOT_TOOLS - set(PROMPT_NAMES))
    assert unknown == [], f"{path.name} names tools that do not exist: {unknown}"


# -- (b) Python examples run against the sandbox --------------------------------------------------------------------
# In the pytest process (python-sdk's tests/docs_src pattern), not one subprocess per file: the same environment the
# example's reader sets up (HEYGEN_SANDBOX=1, a fast render, an output folder), each block in fresh globals as
# ``__main__``, the blocks of one file in order and in one working folder. ``anyio.run`` in a block is fine: a sync
# test runs with no event loop in its thread.
PYTHON_TIMEOUT_S = 60


def python_files() -> list[Path]:
    files = [*reference_files(), SKILL, *sorted(PROMPTS.glob("*.md"))]
    return [p for p in files if p.is_file() and any(b.lang == "python" for b in blocks(p))]


@contextmanager
def time_limit(seconds: int, where: str) -> Iterator[None]:
    """Stop a hung example (SIGALRM; the test runs in the main thread) instead of hanging the suite."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"{where} still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_block(block: Block) -> None:
    """Run one block as a script would run: its own globals, ``sys.argv`` naming it, exit 0 = success."""
    # Blank lines in front keep line numbers in tracebacks those of the Markdown file.
    code = compile("\n" * block.line + block.code, str(block.file.relative_to(ROOT)), "exec")
    try:
        with time_limit(PYTHON_TIMEOUT_S, block.where):
            exec(code, {"__name__": "__main__", "__file__": block.where})
    except SystemExit as exc:
        if exc.code not in (None, 0):
            pytest.fail(f"the example at {block.where} exited with {exc.code!r}")
    except BaseException as exc:
        exc.add_note(f"in the example at {block.where}")
        raise


@pytest.mark.parametrize("path", python_files(), ids=lambda p: p.name)
def test_python_examples_run_in_the_sandbox(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # ``clean_environ`` (conftest) has removed every HEYGEN_/DEEPSEEK_ variable and moved into tmp_path.
    for name, value in {"HEYGEN_SANDBOX": "1", "HEYGEN_SANDBOX_RENDER_S": "0.3", "HEYGEN_POLL_INTERVAL": "0.1",
                        "HEYGEN_OUTPUT_DIR": str(tmp_path / "out")}.items():
        monkeypatch.setenv(name, value)
    for block in blocks(path):
        if block.lang == "python":
            monkeypatch.setattr(sys, "argv", [block.where])
            run_block(block)


def test_python_examples_exist_in_most_references() -> None:
    with_code = {p.stem for p in python_files()}
    missing = [t for t in TOPICS if t not in with_code and t != "streaming-avatars"]
    assert missing == [], f"references without a runnable example: {missing}"


# -- (c, d) SKILL.md ------------------------------------------------------------------------------------------------
def _front_matter(text: str) -> tuple[str, str]:
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
    assert match, "front matter between '---' lines is required"
    return match.group(1), match.group(2)


def test_skill_passes_the_agent_skills_validator(tmp_path: Path) -> None:
    skills_ref = pytest.importorskip("skills_ref")
    folder = tmp_path / "heygen-studio"
    folder.mkdir()
    shutil.copy(SKILL, folder / "SKILL.md")
    shutil.copytree(REFERENCES, folder / "references")
    assert skills_ref.validate(folder) == []


def test_skill_body_is_short_and_names_real_references() -> None:
    _, body = _front_matter(SKILL.read_text(encoding="utf-8"))
    assert len(body.splitlines()) < 500
    named = set(re.findall(r"references/([\w-]+\.md)", body))
    assert named, "SKILL.md should point to its references"
    assert sorted(n for n in named if not (REFERENCES / n).is_file()) == []
    assert sorted(f"{t}.md" for t in TOPICS if f"{t}.md" not in named) == [], "SKILL.md should list every reference"


# -- (e) MCP prompt templates ---------------------------------------------------------------------------------------
def _prompt_meta(path: Path) -> tuple[dict[str, Any], str]:
    head, body = _front_matter(path.read_text(encoding="utf-8"))
    meta = yaml.safe_load(head)  # the same loader the server uses
    assert isinstance(meta, dict) and {"name", "title", "description", "arguments"} <= set(meta), meta
    for key in ("name", "title", "description"):
        assert isinstance(meta[key], str) and meta[key].strip(), f"{key} must be a non-empty string"
    assert isinstance(meta["arguments"], list)
    for arg in meta["arguments"]:
        assert isinstance(arg, dict) and set(arg) == {"name", "description", "required"}, arg
        assert isinstance(arg["name"], str) and isinstance(arg["description"], str), arg
        assert isinstance(arg["required"], bool), f"required must be true or false: {arg}"
    return meta, body


def test_the_four_prompts_exist() -> None:
    assert sorted(p.stem for p in PROMPTS.glob("*.md")) == sorted(PROMPT_NAMES)


@pytest.mark.parametrize("path", sorted(PROMPTS.glob("*.md")), ids=lambda p: p.name)
def test_prompt_front_matter_and_placeholders(path: Path) -> None:
    meta, body = _prompt_meta(path)
    assert meta["name"] == path.stem
    assert meta["title"].strip() and meta["description"].strip()
    names = [arg["name"] for arg in meta["arguments"]]
    assert len(names) == len(set(names)) and all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in names)
    assert any(arg["required"] for arg in meta["arguments"]), "at least one required argument"
    fields = {field for _, field, _, _ in string.Formatter().parse(body) if field is not None}
    assert fields == set(names), f"placeholders {sorted(fields)} != arguments {sorted(names)}"
    rendered = body.format(**{n: f"<{n}>" for n in names})  # literal braces must be doubled
    for block in blocks(path, rendered):
        if block.lang == "json":
            json.loads(block.code)
