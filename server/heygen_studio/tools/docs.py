"""The bundled docs over MCP: resources, prompts, completions, and ``read_reference``.

Agents and people read the same files: ``SKILL.md``, ``references/*.md`` and ``prompts/*.md``
(shipped in the wheel). Titles and descriptions are read once at start-up (for listing); a long
reference is never dumped whole into a tool result unless it is asked for by name.
"""

from __future__ import annotations

import functools
import math
import re
import string
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, TypeVar

import yaml
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.mcpserver.prompts.base import Prompt, PromptArgument
from mcp.server.mcpserver.resources import FunctionResource
from mcp.types import (
    Completion,
    CompletionArgument,
    CompletionContext,
    PromptReference,
    ResourceTemplateReference,
)
from pydantic import BaseModel, Field

from ..docs import docs_root
from ..languages import LANGUAGES
from . import toolsets
from .common import LOCAL_READ, Context

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


# -- read_reference ---------------------------------------------------------------------------------
class Section(BaseModel):
    topic: str
    heading: str
    text: str


class ReferenceOut(BaseModel):
    topics: list[str] | None = Field(default=None, description="Every topic: the answer to a call with neither "
                                                               "topic nor query.")
    sections: list[Section] = Field(default_factory=list)
    truncated: bool = False
    not_enabled: str | None = Field(default=None, description="Tools named here that this server does not list: "
                                    "their toolsets, and how to enable them.")


def _not_enabled(ctx: Context[Any] | None, texts: list[str]) -> str | None:
    """Which toolset holds each tool the texts name that this server does not enable, and how to add it."""
    enabled = getattr(ctx.mcp_server, "toolsets", None) if ctx is not None else None
    if enabled is None:
        return None
    blob = "\n".join(texts)
    named = [tool for tool in toolsets.TOOLSETS if re.search(rf"\b{tool}\b", blob)]
    missing = toolsets.others(enabled, named)
    if not missing:
        return None
    tools = "; ".join(f"{', '.join(names)} ({group} toolset)" for group, names in missing.items())
    return (f"Not enabled on this server: {tools}. The user adds them with "
            f"{toolsets.enable_hint(missing, enabled)} (or all), then restarts the server.")


def _sections(doc: Doc) -> list[Section]:
    parts = re.split(r"(?m)^(?=## )", FRONT_MATTER.sub("", doc.text))
    out = []
    for part in parts:
        heading = part.splitlines()[0].lstrip("# ").strip() if part.strip() else doc.title
        out.append(Section(topic=doc.name, heading=heading, text=part.strip()))
    return [s for s in out if s.text]


def _terms(text: str) -> list[str]:
    return [t for t in re.findall(r"[a-z0-9_]+", text.lower()) if len(t) > 2]


def search(query: str, limit: int = 3) -> list[Section]:
    sections = [s for doc in references().values() for s in _sections(doc)]
    docs_terms = [Counter(_terms(s.heading + " " + s.heading + " " + s.text)) for s in sections]
    q = set(_terms(query))
    n = len(sections)
    df = Counter(t for terms in docs_terms for t in set(terms) if t in q)
    scored = []
    for section, terms in zip(sections, docs_terms, strict=True):
        length = sum(terms.values()) or 1
        score = sum((terms[t] / (terms[t] + 1.2 * (0.25 + 0.75 * length / 300))) * math.log(1 + n / (1 + df[t]))
                    for t in q if t in terms)
        if section.topic in q or section.topic.replace("-", " ") in query.lower():
            score += 2
        if score > 0:
            scored.append((score, section))
    scored.sort(key=lambda x: -x[0])
    return [s for _, s in scored[:limit]]


async def read_reference(
    ctx: Context[Any],
    topic: Annotated[str | None, Field(max_length=64,
                                       description="A reference topic, e.g. 'scripts' or 'video-status'.")] = None,
    query: Annotated[str | None, Field(max_length=200, description="Or a question: returns the best sections.")] = None,
    max_chars: Annotated[int, Field(ge=500, le=20000)] = 8000,
) -> ReferenceOut:
    """Read one bundled reference by topic, or the sections that best answer a query (for clients that do
    not read resources); with neither, the list of topics. Local, free."""
    docs = references()
    topics = sorted(docs)
    if topic and query:
        raise ToolError("Give one of topic or query, not both.")
    if not topic and not query:  # the topic list is its own answer: other answers do not repeat it
        return ReferenceOut(topics=topics)
    if topic:
        key = topic.strip().lower().removesuffix(".md").replace(" ", "-")
        if key not in docs:
            near = [t for t in topics if key[:4] in t] or topics
            raise ToolError(f"No reference '{topic}'. Topics: {', '.join(near)}.")
        doc = docs[key]
        found = [Section(topic=key, heading=doc.title, text=doc.text)]
    else:
        found = search(query or "")
        if not found:
            raise ToolError(f"Nothing matches {query!r}. Topics: {', '.join(topics)}.")
    out, used, truncated = [], 0, False
    for section in found:
        room = max_chars - used
        if room <= 200:
            truncated = True
            break
        if len(section.text) > room:
            section = Section(topic=section.topic, heading=section.heading, text=section.text[:room] + "\n…")
            truncated = True
        out.append(section)
        used += len(section.text)
    note = _not_enabled(ctx, [query or "", *(section.text for section in out)])
    return ReferenceOut(sections=out, truncated=truncated, not_enabled=note)


def _found(table: dict[str, T], key: str, what: str, plural: str) -> T:
    if key not in table:
        raise ResourceNotFoundError(f"No {what} '{key}'; {plural}: {', '.join(sorted(table))}")
    return table[key]


def register_content(mcp: MCPServer) -> None:
    """Resources, prompts and completions (always registered at start-up; cheap)."""

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


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=LOCAL_READ)(read_reference)
