"""A DeepSeek (OpenAI-compatible) ``/chat/completions`` stand-in that writes video scripts.

When ``response_format`` is ``{"type": "json_object"}`` or a message mentions JSON, the assistant
message is a JSON script ``{"title", "language", "scenes": [{"text", "visual"}]}`` built
deterministically from the LAST user message: a JSON object with ``topic``, ``duration_s`` (30),
``language`` ("en"), ``format`` ("single" | "scenes" | "agent-brief"; "scenes") and ``tone``, or
plain text taken as the topic. The script has about ``duration_s × 2.5`` words over
``ceil(duration_s / 15)`` scenes (one for "single" and "agent-brief"). Otherwise the reply is the
same script as plain text. ``usage`` counts ~4 characters per token and reports a repeated identical
prompt as cache hits; ``deepseek-reasoner`` adds ``reasoning_content``. ``stream: true`` is served
as server-sent events.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..envelopes import CHAT_PATHS
from ..errors import ApiError
from ..web import state_of

_SENTENCES = (
    "{Topic} is changing how people work, learn and share ideas.",
    "Here is what you need to know about {topic}.",
    "Start with the basics and build from there, one step at a time.",
    "The key idea is simple: focus on what matters most to your audience.",
    "Many teams already use {topic} to save hours every single week.",
    "Think about one small change you could make today.",
    "The results speak for themselves when you stay consistent.",
    "Let's look at a quick example that makes it concrete.",
    "Keep it clear, keep it short, and keep it useful.",
    "That is exactly why {topic} deserves your attention right now.",
    "Mistakes are part of the process, so learn from each one.",
    "Ask yourself what success looks like a month from now.",
)
_VISUALS = (
    "Presenter on camera, medium shot, clean studio background",
    "B-roll of {topic} in action with soft natural light",
    "Animated title card with the key phrase on screen",
    "Close-up of hands working on a laptop",
    "Simple infographic with three icons and short labels",
    "Wide shot of a bright modern office",
    "Split screen comparing before and after",
    "Slow zoom on a whiteboard sketch of the idea",
)
_TITLES = ("A Quick Guide", "What You Need to Know", "Explained Simply", "The Essentials", "Why It Matters")
_TONE_OPENERS = {
    "energetic": "Let's dive right in!",
    "friendly": "Hi there, glad you are here.",
    "professional": "Welcome to this short briefing.",
    "calm": "Take a breath and let's begin.",
    "playful": "Ready for something fun?",
}


def _tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4)) if text else 0


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _brief(message: str) -> dict[str, Any]:
    raw = message.strip()
    spec: dict[str, Any] = {}
    if raw.startswith("{"):
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            spec = parsed
    topic = str(spec.get("topic") or (raw if not spec else "") or "your topic").strip()
    try:
        duration = float(spec.get("duration_s", 30) or 30)
    except (TypeError, ValueError):
        duration = 30.0
    duration = min(max(duration, 5.0), 600.0)
    fmt = spec.get("format", "scenes")
    if fmt not in ("single", "scenes", "agent-brief"):
        fmt = "scenes"
    return {
        "topic": " ".join(topic.split())[:200],
        "duration_s": duration,
        "language": str(spec.get("language") or "en"),
        "format": fmt,
        "tone": str(spec.get("tone") or "").strip().lower(),
    }


def _words(seed: bytes, topic: str, tone: str, fmt: str, duration: float) -> list[str]:
    order = sorted(range(len(_SENTENCES)), key=lambda i: hashlib.sha256(seed + bytes([i])).digest())
    sentences: list[str] = []
    if fmt == "agent-brief":
        tone_word = f"{tone} " if tone else ""
        sentences.append(
            f"Create a {int(duration)}-second {tone_word}video about {topic} "
            "with a presenter and clear on-screen "
            "captions."
        )
    elif tone in _TONE_OPENERS:
        sentences.append(_TONE_OPENERS[tone])
    capital = topic[:1].upper() + topic[1:]
    sentences += [_SENTENCES[i].format(topic=topic, Topic=capital) for i in order]
    words: list[str] = []
    for sentence in sentences:
        words += sentence.split()
    return words


def make_script(message: str) -> dict[str, Any]:
    """The deterministic script for one user message (see the module docstring)."""
    brief = _brief(message)
    topic, duration, fmt, tone = brief["topic"], brief["duration_s"], brief["format"], brief["tone"]
    seed = hashlib.sha256(json.dumps(brief, sort_keys=True).encode()).digest()
    total = max(5, round(duration * 2.5))
    count = 1 if fmt in ("single", "agent-brief") else max(1, math.ceil(duration / 15))
    pool = _words(seed, topic, tone, fmt, duration)
    while len(pool) < total:
        pool += pool
    scenes = []
    start = 0
    for index in range(count):
        size = total // count + (1 if index < total % count else 0)
        chunk = pool[start : start + size]
        start += size
        text = " ".join(chunk).rstrip(",;:")
        if text and text[-1] not in ".!?":
            text += "."
        visual = _VISUALS[(seed[index % len(seed)] + index) % len(_VISUALS)].format(topic=topic)
        scenes.append({"text": text, "visual": visual})
    capital = topic[:1].upper() + topic[1:]
    return {
        "title": f"{capital}: {_TITLES[seed[0] % len(_TITLES)]}",
        "language": brief["language"],
        "scenes": scenes,
    }


def _wants_json(body: dict[str, Any], messages: list[dict[str, Any]]) -> bool:
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_object":
        return True
    return any("json" in _text_of(m.get("content")).lower() for m in messages)


def _validate(body: Any) -> tuple[str, list[dict[str, Any]]]:
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request_error", "Request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(400, "invalid_request_error", "Missing required parameter: 'model'", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "invalid_request_error", "'messages' must be a non-empty array", param="messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in (
            "system",
            "user",
            "assistant",
            "tool",
        ):
            raise ApiError(
                400, "invalid_request_error", f"messages[{i}] needs a valid role", param=f"messages[{i}]"
            )
    if not any(m.get("role") == "user" for m in messages):
        raise ApiError(
            400, "invalid_request_error", "At least one user message is required", param="messages"
        )
    return model, messages


def _usage(messages: list[dict[str, Any]], content: str, reasoning: str | None, cached: bool) -> dict[str, Any]:
    """DeepSeek's ``usage``: ~4 characters a token, a repeated prompt counted as cache hits."""
    prompt_tokens = sum(_tokens(_text_of(m.get("content"))) + 4 for m in messages)
    completion_tokens = _tokens(content) + (_tokens(reasoning) if reasoning else 0)
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_cache_hit_tokens": prompt_tokens if cached else 0,
        "prompt_cache_miss_tokens": 0 if cached else prompt_tokens,
    }
    if reasoning:
        usage["completion_tokens_details"] = {"reasoning_tokens": _tokens(reasoning)}
    return usage


async def chat_completions(request: Request) -> Response:
    state = state_of(request)
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError:
        raise ApiError(400, "invalid_request_error", "Request body is not valid JSON") from None
    model, messages = _validate(body)
    assert isinstance(body, dict)
    last_user = next(m for m in reversed(messages) if m.get("role") == "user")
    script = make_script(_text_of(last_user.get("content")))
    if _wants_json(body, messages):
        content = json.dumps(script, ensure_ascii=False)
    else:
        content = script["title"] + "\n\n" + "\n\n".join(scene["text"] for scene in script["scenes"])
    reasoning = None
    if model == "deepseek-reasoner":
        reasoning = (
            f"The user wants a {len(script['scenes'])}-scene script titled '{script['title']}'. "
            "I will keep each scene short and visual."
        )
    prompt_text = json.dumps(messages, sort_keys=True, ensure_ascii=False)
    cached = state.prompt_seen(hashlib.sha256(prompt_text.encode()).hexdigest())
    usage = _usage(messages, content, reasoning, cached)
    digest = hashlib.sha256((prompt_text + model).encode()).hexdigest()[:24]
    completion_id = f"chatcmpl-{digest}"
    created = int(state.now())
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return StreamingResponse(
            _stream(completion_id, created, model, content, reasoning, usage, include_usage),
            media_type="text/event-stream",
        )
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning:
        message["reasoning_content"] = reasoning
    return JSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
            "usage": usage,
            "system_fingerprint": "fp_sandbox",
        }
    )


async def _stream(
    completion_id: str,
    created: int,
    model: str,
    content: str,
    reasoning: str | None,
    usage: dict[str, Any],
    include_usage: bool,
) -> AsyncIterator[bytes]:
    def chunk(delta: dict[str, Any], finish: str | None = None, with_usage: bool = False) -> bytes:
        payload: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_sandbox",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if with_usage:
            payload["choices"] = []
            payload["usage"] = usage
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""})
    if reasoning:
        yield chunk({"reasoning_content": reasoning})
    for start in range(0, len(content), 48):
        yield chunk({"content": content[start : start + 48]})
    yield chunk({}, "stop")
    if include_usage:
        yield chunk({}, None, with_usage=True)
    yield b"data: [DONE]\n\n"


routes = [Route(path, chat_completions, methods=["POST"]) for path in CHAT_PATHS]
