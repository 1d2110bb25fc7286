"""``read_reference``: the bundled references for clients that do not read resources (``content.py`` serves
them as resources and prompts); a long reference is never dumped whole into a result unless asked for by name.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from . import toolsets
from .common import LOCAL_READ, Context
from .content import FRONT_MATTER, Doc, references


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


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=LOCAL_READ)(read_reference)
