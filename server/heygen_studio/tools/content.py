"""The bundled docs as MCP resources, prompts and completions (``read_reference``, the tool, is ``docs.py``).

Agents and people read the same files: ``SKILL.md``, ``references/*.md`` and ``prompts/*.md``
(shipped in the wheel). They are read, and their titles and descriptions taken, when a client first asks for
resources or prompts (``server.StudioServer``), not at start-up: a server started only to list its tools, or a
shell command, never reads them. This module imports nothing heavy (``yaml`` when prompts are first read).
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.server.mcpserver.prompts.base import Prompt, PromptArgument
from mcp.server.mcpserver.resources import FunctionResource
from mcp.types import (
    Completion,
    CompletionArgument,
    CompletionContext,
    PromptReference,
    ResourceTemplateReference,
)

from ..docs import docs_root
from ..languages import LANGUAGES

T = TypeVar("T")
FRONT_MATTER = re.compile(r"^---\n(.*?)\n---\n?", re.S)
COMPLETIONS: dict[str, list[str]] = {
    "language": sorted({*LANGUAGES, *LANGUAGES.values()}),
    "orientation": ["landscape", "portrait"],
    "duration_s": ["15", "30", "45", "60", "90", "120", "180"],
    "duration": ["15", "30", "45", "60", "90", "120", "180"],
    "route": ["avatar", "studio", "agent"],
    "tone": ["friendly", "professional", "energetic", "calm", "playful", "authoritative"],
    "format": ["scenes", "single", "agent-brief"],
}


@dataclass(frozen=True)
class Doc:
    name: str
    title: str
    description: str
    text: str


def _summary(text: str, fallback: str) -> tuple[str, str]:
    body = FRONT_MATTER.sub("", text)
    title = next((ln[2:].strip() for ln in body.splitlines() if ln.startswith("# ")), fallback)
    paragraph = next((ln.strip() for ln in body.splitlines()
                      if ln.strip() and not ln.startswith(("#", "<!--", "```", "|", "-"))), "")
    return title, paragraph[:200]


def _reference_text(topic: str) -> str:
    return references()[topic].text


def _read(name: str) -> str:
    return docs_root().joinpath(name).read_text(encoding="utf-8")


@cache
def references() -> dict[str, Doc]:
    folder = docs_root().joinpath("references")
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name) if folder.is_dir() else []:
        if entry.name.endswith(".md"):
            topic = entry.name[:-3]
            text = entry.read_text(encoding="utf-8")
            title, description = _summary(text, topic)
            out[topic] = Doc(topic, title, description, text)
    return out


@dataclass(frozen=True)
class PromptFile:
    name: str
    title: str
    description: str
    arguments: list[PromptArgument]
    body: str
    text: str


@cache
def prompt_files() -> dict[str, PromptFile]:
    folder = docs_root().joinpath("prompts")
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name) if folder.is_dir() else []:
        if not entry.name.endswith(".md"):
            continue
        text = entry.read_text(encoding="utf-8")
        match = FRONT_MATTER.match(text)
        import yaml  # here: only a server asked for its prompts parses their front matter

        meta: dict[str, Any] = (yaml.safe_load(match.group(1)) if match else None) or {}
        name = str(meta.get("name") or entry.name[:-3])
        args = [PromptArgument(name=str(a["name"]), description=a.get("description"), required=bool(a.get("required")))
                for a in meta.get("arguments") or []]
        out[name] = PromptFile(name, str(meta.get("title") or name), str(meta.get("description") or ""), args,
                               text[match.end():] if match else text, text)
    return out


def _render_prompt_kwargs(spec: PromptFile, **values: Any) -> str:
    return render_prompt(spec, values)


def render_prompt(spec: PromptFile, values: dict[str, Any]) -> str:
    """Fill ``{argument}`` placeholders; an optional argument left out reads 'unspecified'."""
    filled = {a.name: values.get(a.name) or "unspecified" for a in spec.arguments}
    return string.Formatter().vformat(spec.body, (), filled).strip()


def _found(table: dict[str, T], key: str, what: str, plural: str) -> T:
    if key not in table:
        raise ResourceNotFoundError(f"No {what} '{key}'; {plural}: {', '.join(sorted(table))}")
    return table[key]


def register_completions(mcp: MCPServer) -> None:
    """The completion handler (registered at start-up, so the capability is announced; it reads nothing until
    asked)."""

    @mcp.completion()  # type: ignore[untyped-decorator, no-untyped-call]  # unannotated in mcp 2.3
    async def complete(ref: PromptReference | ResourceTemplateReference, argument: CompletionArgument,
                       context: CompletionContext | None) -> Completion | None:
        prefix = argument.value.lower()
        if isinstance(ref, ResourceTemplateReference):
            if "files" in ref.uri or "scripts" in ref.uri:  # their URIs come from tool results, not from guessing
                return None
            pool = sorted(references()) if "references" in ref.uri else sorted(prompt_files())
        else:
            pool = COMPLETIONS.get(argument.name, [])
        values = [v for v in pool if v.lower().startswith(prefix)]
        return Completion(values=values[:100], total=len(values), has_more=len(values) > 100)


def register_content(mcp: MCPServer) -> None:
    """The docs as resources and prompts: read from disk now (``StudioServer`` calls this on the first
    resources or prompts request)."""

    @mcp.resource("heygen://skill", name="skill", title="heygen-studio skill", mime_type="text/markdown",
                  description="Start here: when to use which tool, and which reference to read.")
    def skill() -> str:
        return _read("SKILL.md")

    for doc in references().values():
        mcp.add_resource(FunctionResource(
            uri=f"heygen://references/{doc.name}", name=doc.name, title=doc.title, description=doc.description,
            mime_type="text/markdown", fn=functools.partial(_reference_text, doc.name)))

    @mcp.resource("heygen://references/{topic}", name="reference", title="A HeyGen reference",
                  description="One reference by topic (completes topic names).", mime_type="text/markdown")
    def reference(topic: str) -> str:
        return _found(references(), topic, "reference", "topics").text

    @mcp.resource("heygen://prompts/{name}", name="prompt-file", title="A prompt template",
                  description="The source of one MCP prompt.", mime_type="text/markdown")
    def prompt_source(name: str) -> str:
        return _found(prompt_files(), name, "prompt", "prompts").text

    for spec in prompt_files().values():
        mcp.add_prompt(Prompt(name=spec.name, title=spec.title, description=spec.description,
                              arguments=spec.arguments, fn=functools.partial(_render_prompt_kwargs, spec),
                              context_kwarg=None))
