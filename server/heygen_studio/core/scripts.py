"""Script writing: the prompt, the model's JSON, timing and HeyGen pause markup.

The language model is either DeepSeek (or any OpenAI-compatible endpoint) through the ``openai``
SDK, or the MCP client's own model (sampling, wired in the adapter). Both get the same prompt
and both answers go through ``parse_script``: JSON is validated, pauses are normalised to
HeyGen's ``<break time="Ns"/>`` markup, over-long scenes are split at sentence ends so every
scene fits HeyGen's per-scene limit, and seconds are estimated from words per minute by language.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from typing import Any, Literal

import httpx2
from pydantic import BaseModel, Field, ValidationError

from .errors import ConfigError, HeyGenError
from .models import MAX_SCRIPT_CHARS, MAX_STUDIO_SCENES

ScriptFormat = Literal["agent-brief", "single", "scenes"]

# Speaking rates: words per minute for spaced languages, characters per minute for CJK/Thai.
WPM = {"en": 150, "de": 130, "es": 160, "fr": 155, "it": 155, "pt": 155, "nl": 145, "pl": 135, "ru": 135,
       "tr": 135, "ar": 130, "hi": 140, "sv": 145, "id": 145, "vi": 150}  # fmt: skip
CPM = {"zh": 250, "ja": 300, "ko": 260, "th": 300}
MAX_BREAK_S = 5.0
SECONDS_PER_SCENE = 15

SYSTEM_PROMPT = """\
You write scripts for AI-avatar videos that a text-to-speech voice reads aloud.
Write for the ear: short sentences, one idea each, numbers and acronyms spelled as spoken, no stage directions
inside the spoken text, no emojis, no markdown. Mark a deliberate pause as [pause 1s] (0.5s to 3s).
Answer with JSON only, exactly this shape:
{"title": str, "language": str, "scenes": [{"text": str, "visual": str}]}
"text" is exactly what is spoken; "visual" is a short note on what the viewer sees."""


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_hit_tokens: int = Field(default=0, description="Prompt tokens served from DeepSeek's context cache.")


class ScriptScene(BaseModel):
    text: str = Field(description="Spoken text, with HeyGen pause markup.")
    visual: str | None = None
    words: int
    seconds: float = Field(description="Estimated speaking time.")


class Script(BaseModel):
    title: str
    language: str
    format: ScriptFormat
    scenes: list[ScriptScene]
    total_seconds: float
    words: int
    brief: str | None = Field(default=None, description="A ready Video Agent prompt (format agent-brief).")


class _ModelScene(BaseModel):
    text: str = Field(min_length=1)
    visual: str | None = None


class _ModelScript(BaseModel):
    title: str = "Untitled"
    language: str | None = None
    scenes: list[_ModelScene] = Field(min_length=1)


@dataclass
class ScriptRequest:
    topic: str
    duration_s: int = 60
    language: str = "en"
    tone: str | None = None
    audience: str | None = None
    format: ScriptFormat = "scenes"

    def user_message(self) -> str:
        """The request as JSON: deterministic, so repeated requests hit DeepSeek's prompt cache."""
        words = round(self.duration_s * speaking_rate(self.language) / 60)
        scenes = 1 if self.format == "single" else max(1, math.ceil(self.duration_s / SECONDS_PER_SCENE))
        ask = {
            "topic": self.topic, "duration_s": self.duration_s, "language": self.language, "format": self.format,
            "tone": self.tone or "clear and friendly", "audience": self.audience or "general",
            "target_words": words, "target_scenes": min(scenes, MAX_STUDIO_SCENES),
        }  # fmt: skip
        if self.format == "agent-brief":
            ask["note"] = ("This script frames a brief for HeyGen's Video Agent: the spoken text must fill the whole "
                           "duration so the agent does not pad with silence.")
        return json.dumps(ask, ensure_ascii=False)


def headline(text: str, limit: int = 80) -> str:
    """A text's first line as a title, cut at a word with an ellipsis (a brief's, for the job store; a script's)."""
    line = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2 :] else cut).rstrip(" ,.;:-") + "…"


def speaking_rate(language: str) -> int:
    code = language.lower().split("-")[0][:3]
    return WPM.get(code, CPM.get(code, 150))


def estimate_seconds(text: str, language: str) -> tuple[int, float]:
    """(words, seconds) for spoken text, counting ``<break>`` pauses."""
    pauses = sum(float(s) for s in re.findall(r'<break time="([\d.]+)s"\s*/>', text))
    spoken = re.sub(r"<break[^>]*>", " ", text)
    code = language.lower().split("-")[0]
    if code in CPM:
        units = len(re.sub(r"\s+", "", spoken))
        return units, round(units / CPM[code] * 60 + pauses, 1)
    words = len(spoken.split())
    return words, round(words / speaking_rate(language) * 60 + pauses, 1)


RENDER_FACTOR = 6  # HeyGen: a render takes about 5-10x the video's length


def expected_render_s(scripts: list[str], *, extra_output_s: float = 0.0, language: str = "en") -> float:
    """How long a render of these scripts should take: for progress estimates, never for decisions."""
    output_s = sum(estimate_seconds(s, language)[1] for s in scripts) + extra_output_s
    return float(min(max(RENDER_FACTOR * output_s, 60.0), 1800.0))


def normalise_pauses(text: str) -> str:
    """[pause 1s] / (pause) / <break time="2s"/> → HeyGen's `` <break time="Ns"/> `` with spaces around."""

    def brk(seconds: float) -> str:
        return f' <break time="{min(max(seconds, 0.1), MAX_BREAK_S):g}s"/> '

    text = re.sub(r"\[(?:pause|break)\s*([\d.]+)?\s*s?\]", lambda m: brk(float(m.group(1) or 1)), text, flags=re.I)
    text = re.sub(r"\((?:pause|beat)\)", lambda m: brk(1), text, flags=re.I)
    text = re.sub(r'\s*<break\s+time="([\d.]+)(m?s)"\s*/?>\s*',
                  lambda m: brk(float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)), text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def split_long(text: str, limit: int = MAX_SCRIPT_CHARS) -> list[str]:
    """Split text over ``limit`` characters at sentence ends."""
    if len(text) <= limit:
        return [text]
    parts, current = [], ""
    for sentence in re.split(r"(?<=[.!?。！？])\s+", text):
        while len(sentence) > limit:  # one huge sentence: cut at a space
            cut = sentence.rfind(" ", 0, limit) or limit
            parts.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + 1 + len(sentence) > limit:
            parts.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        parts.append(current)
    return parts


def parse_script(raw: str, req: ScriptRequest) -> Script:
    """Validate the model's answer and shape it for HeyGen."""
    body = raw.strip()
    fenced = re.search(r"```(?:json)?\s*(\{.*\})\s*```", body, flags=re.S)
    if fenced:
        body = fenced.group(1)
    elif not body.startswith("{") and "{" in body:
        body = body[body.index("{") : body.rindex("}") + 1]
    try:
        model = _ModelScript.model_validate_json(body)
    except ValidationError as exc:
        raise HeyGenError(
            f"the language model did not return a usable script ({exc.error_count()} problem(s))",
            hint="Call write_script again; a more specific topic helps.",
        ) from None
    language = model.language or req.language
    texts: list[tuple[str, str | None]] = []
    for scene in model.scenes:
        for piece in split_long(normalise_pauses(scene.text)):
            texts.append((piece, scene.visual))
    if req.format == "single":
        joined = " ".join(t for t, _ in texts)
        texts = [(piece, texts[0][1]) for piece in split_long(joined)]
    texts = texts[:MAX_STUDIO_SCENES]
    scenes = []
    for text, visual in texts:
        words, seconds = estimate_seconds(text, language)
        scenes.append(ScriptScene(text=text, visual=visual, words=words, seconds=seconds))
    script = Script(title=model.title, language=language, format=req.format, scenes=scenes,
                    total_seconds=round(sum(s.seconds for s in scenes), 1), words=sum(s.words for s in scenes))
    if req.format == "agent-brief":
        script.brief = agent_brief(script, req)
    return script


def exact_script(text: str, req: ScriptRequest, title: str) -> Script:
    """A script of words given exactly, shaped as ``parse_script`` shapes a model's: each paragraph (a blank line
    apart) a scene, or one presenter's single text (format ``single``); pauses in HeyGen's markup, a scene over
    HeyGen's limit split at sentence ends. The words are not changed. Scenes beyond HeyGen's 50 are not dropped:
    the caller refuses them."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    if req.format == "single":
        paragraphs = [" ".join(paragraphs)]
    scenes = []
    for paragraph in paragraphs:
        for piece in split_long(normalise_pauses(paragraph)):
            words, seconds = estimate_seconds(piece, req.language)
            scenes.append(ScriptScene(text=piece, words=words, seconds=seconds))
    script = Script(title=title, language=req.language, format=req.format, scenes=scenes,
                    total_seconds=round(sum(s.seconds for s in scenes), 1), words=sum(s.words for s in scenes))
    if req.format == "agent-brief":  # the agent is told the length these words take, not a target for others
        script.brief = agent_brief(script, replace(req, duration_s=max(1, math.ceil(script.total_seconds))))
    return script


def agent_brief(script: Script, req: ScriptRequest) -> str:
    """A Video Agent prompt that frames the exact script, so the agent neither rewrites nor pads it."""
    lines = [
        f"Make a {req.duration_s}-second video titled \"{script.title}\" for {req.audience or 'a general audience'}, "
        f"tone: {req.tone or 'clear and friendly'}, language: {script.language}.",
        "Use this script word for word as the voice-over; do not add, cut or pad with silence. Scenes:",
    ]
    for n, scene in enumerate(script.scenes, 1):
        visual = f" [visual: {scene.visual}]" if scene.visual else ""
        lines.append(f"{n}. ({scene.seconds:g}s){visual} {scene.text}")
    return "\n".join(lines)[:10000]


async def deepseek_complete(req: ScriptRequest, *, api_key: str, base_url: str, model: str,
                            transport: httpx2.AsyncBaseTransport | None = None,
                            timeout: float = 120.0) -> tuple[str, Usage, str]:
    """Ask an OpenAI-compatible endpoint for the script JSON. Returns (text, usage, model)."""
    if not api_key:
        raise ConfigError("No DeepSeek API key", hint="Set DEEPSEEK_API_KEY, or use an MCP client with sampling.")
    import openai  # lazy: a heavy import only the script writer needs

    async with httpx2.AsyncClient(transport=transport, timeout=timeout) as http:
        client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url, http_client=http, max_retries=2)
        try:
            completion = await client.chat.completions.create(
                model=model,
                messages=[{"role": "system", "content": SYSTEM_PROMPT},
                          {"role": "user", "content": req.user_message()}],
                response_format={"type": "json_object"},
                temperature=0.7,
            )
        except openai.AuthenticationError:
            raise ConfigError("DeepSeek rejected the API key", hint="Check DEEPSEEK_API_KEY.") from None
        except openai.APIStatusError as exc:
            raise HeyGenError(f"the script model answered HTTP {exc.status_code}",
                              hint="Try again shortly, or check DEEPSEEK_BASE_URL and DEEPSEEK_MODEL.") from None
        except openai.APIConnectionError:
            raise HeyGenError("could not reach the script model", hint="Check DEEPSEEK_BASE_URL and the network.") \
                from None
    text = completion.choices[0].message.content or ""
    usage = Usage()
    if completion.usage is not None:
        extra: dict[str, Any] = completion.usage.model_extra or {}
        cached = extra.get("prompt_cache_hit_tokens")
        if cached is None and completion.usage.prompt_tokens_details is not None:
            cached = completion.usage.prompt_tokens_details.cached_tokens
        usage = Usage(prompt_tokens=completion.usage.prompt_tokens,
                      completion_tokens=completion.usage.completion_tokens, cache_hit_tokens=int(cached or 0))
    return text, usage, completion.model
