"""Prices and estimates: what a paid request will cost, worked out from the request itself, before it is sent.

One price table (``PRICES``), each price with its source; ``references/quota.md`` documents it. Credits are
HeyGen API credits. On every row where HeyGen publishes both a credit price (the limits page) and a v3
pay-as-you-go dollar price, one credit is one US dollar (Avatar IV 6 credits a minute = $0.10/s; translation
3 or 6 a minute = $0.05 or $0.10/s; an avatar 1 credit = $1 a call), so an estimate in credits reads as dollars
on a pay-as-you-go wallet too. A price HeyGen does not publish is marked ``assumed``, and every estimate
that leans on one, or on an assumed length, says so.

``estimate(method, path, body)`` prices one request body exactly as it would be sent; it returns None for a
request that costs nothing. Lengths: spoken text by the words-per-minute of its script (``core.scripts``,
per language, ``<break>`` pauses included); what the body does not say (an audio file, a template, a Video
Agent brief without a stated length, a translation source given by URL) takes an assumed length, named in
the estimate. Video minutes are billed in 30-second increments.

``Spend`` is one paid tool call's budget. The adapter sets it around the call (``spending``); the client
consults it (``before_paid``) after a paid request is built and before it is claimed in the job store or
sent: over the limit it raises ``SpendLimitError``; in a dry run it raises ``Preview`` (nothing is claimed,
journaled, uploaded or sent). Without a ``Spend`` nothing changes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import HeyGenError

LIMITS = "docs.heygen.com/reference/limits"
PRICING = "developers.heygen.com/docs/pricing"


@dataclass(frozen=True)
class Price:
    """One row of the price table: credits per output (or source) minute, or per call."""

    name: str
    credits: float
    per: Literal["minute", "call"]
    source: str
    assumed: bool = False


PRICES: dict[str, Price] = {p.name: p for p in (
    Price("Avatar IV video", 6.0, "minute", f"{LIMITS} (Avatar IV 6 credits/min); {PRICING} ($0.10/s)"),
    Price("Avatar V video", 6.0, "minute", "not published: priced as Avatar IV", assumed=True),
    Price("Avatar III video", 2.0, "minute", f"{LIMITS} (studio avatar 2 credits/min; another version says 1)"),
    Price("v2 talking photo", 1.0, "minute", f"{LIMITS} (photo avatar 1 credit/min; another version says 0.2)"),
    Price("template video", 6.0, "minute", "not published: priced as v3's default engine, Avatar IV", assumed=True),
    Price("Video Agent", 2.0, "minute", f"{PRICING} ($0.0333/s = $2/min; 1 credit = $1 as on every published row)"),
    Price("translation (speed)", 3.0, "minute", f"{LIMITS} (3 credits/min fast); {PRICING} ($0.05/s); per language"),
    Price("translation (precision)", 6.0, "minute",
          f"{LIMITS} (6 credits/min quality); {PRICING} ($0.10/s); per language"),
    Price("photo avatar", 1.0, "call", f"{LIMITS} (photo/generate 1 credit); {PRICING} (avatar creation $1/call)"),
    Price("prompt look", 1.0, "call", f"{LIMITS} (look/generate 1 credit; another version says 0.25)"),
    Price("digital twin", 1.0, "call", f"{PRICING} (avatar creation $1/call)"),
    Price("speech", 0.02, "minute", f"{PRICING} (text to speech $0.000333/s = $0.02/min)"),
    Price("voice clone", 1.0, "call", "not published: priced as an avatar creation", assumed=True),
    Price("lipsync", 3.0, "minute", "not published: priced as a speed-mode translation", assumed=True),
)}
RESOLUTION_FACTOR = {"4k": 2.0}
"""4K is a plan cap, not a published price: assumed to cost twice as much (720p and 1080p cost the same)."""
ASSUMED_SECONDS = {"audio": 60.0, "template": 60.0, "agent": 60.0, "source": 60.0, "cinematic": 15.0, "clip": 10.0}
"""Lengths a request does not state: an audio file, a template (at least), a Video Agent brief, a translation
or lipsync source, a cinematic clip (its maximum), a silent Studio scene."""
ENGINE_PRICE = {"avatar_iv": "Avatar IV video", "avatar_v": "Avatar V video", "avatar_iii": "Avatar III video"}
FREE = ("/v3/voices",)  # voice design is a search over HeyGen's voices


@dataclass
class Estimate:
    """What one request will cost: ``credits`` in total, a line per priced item, and what was assumed."""

    credits: float = 0.0
    lines: list[str] = field(default_factory=list)
    assumed: list[str] = field(default_factory=list)

    def add(self, price_name: str, amount: float, what: str, *, factor: float = 1.0) -> None:
        """``amount`` minutes (already rounded to the billing increment) or calls of ``price_name``."""
        price = PRICES[price_name]
        credits = round(price.credits * amount * factor, 4)
        self.credits = round(self.credits + credits, 4)
        unit = "min" if price.per == "minute" else ("call" if amount == 1 else "calls")
        times = f" ×{factor:g}" if factor != 1 else ""
        self.lines.append(f"{what}: {amount:g} {unit} × {price.credits:g} ({price.name}){times} = {credits:g}")
        if price.assumed:
            self.assume(f"{price.name} price ({price.source})")

    def assume(self, what: str) -> None:
        if what not in self.assumed:
            self.assumed.append(what)

    def merge(self, other: Estimate, prefix: str = "") -> None:
        self.credits = round(self.credits + other.credits, 4)
        self.lines += [prefix + line for line in other.lines]
        for item in other.assumed:
            self.assume(item)


def billed_minutes(seconds: float) -> float:
    """Minutes as HeyGen bills them: in 30-second increments, at least one."""
    return math.ceil(max(seconds, 1.0) / 30.0) / 2


_CJK = (("ja", re.compile(r"[\u3040-\u30ff]")), ("ko", re.compile(r"[\uac00-\ud7af]")),
        ("th", re.compile(r"[\u0e00-\u0e7f]")), ("zh", re.compile(r"[\u4e00-\u9fff]")))


def spoken_seconds(text: str, *, speed: float | None = None, language: str | None = None) -> float:
    """Seconds ``text`` takes to say: the script's language rate (guessed from its characters when not given)."""
    from .scripts import estimate_seconds  # here: the script module is not start-up work (this one is imported then)

    if language is None:
        language = next((code for code, chars in _CJK if chars.search(text)), "en")
    _, seconds = estimate_seconds(text, language)
    return max(1.0, seconds / (speed or 1.0))


def _speech(node: dict[str, Any], est: Estimate, *, script_key: str = "script") -> float:
    """Seconds of one speaking part: a script, or an audio file (assumed length)."""
    script = node.get(script_key)
    if isinstance(script, str) and script.strip():
        settings = node.get("voice_settings") or {}
        return spoken_seconds(script, speed=settings.get("speed") if isinstance(settings, dict) else None)
    if node.get("audio_url") or node.get("audio_asset_id") or node.get("audio"):
        est.assume(f"an audio file lasts {ASSUMED_SECONDS['audio']:g} s")
        return ASSUMED_SECONDS["audio"]
    return 0.0


def _resolution_factor(resolution: Any, est: Estimate) -> float:
    factor = RESOLUTION_FACTOR.get(str(resolution), 1.0)
    if factor != 1.0:
        est.assume(f"{resolution} costs ×{factor:g} (not published)")
    return factor


def _v3_video(body: dict[str, Any], est: Estimate) -> None:
    kind = body.get("type")
    factor = _resolution_factor(body.get("resolution"), est)
    if kind == "studio":
        seconds, prices = 0.0, []
        for scene in body.get("scenes") or []:
            speaker = scene.get("input") if scene.get("type") == "avatar_video" else scene
            speaker = speaker if isinstance(speaker, dict) else {}
            said = _speech(speaker, est)
            if not said:
                said = float(scene.get("duration") or ASSUMED_SECONDS["clip"])
                if not scene.get("duration"):
                    est.assume(f"a scene without speech lasts {ASSUMED_SECONDS['clip']:g} s")
            seconds += said
            if scene.get("type") == "avatar_video":
                prices.append(ENGINE_PRICE.get(str((speaker.get("engine") or {}).get("type")), "Avatar IV video"))
        # a Studio video is billed as one render, at its dearest presenter's rate (Avatar IV without one)
        price = max(prices or ["Avatar IV video"], key=lambda name: PRICES[name].credits)
        est.add(price, billed_minutes(seconds), f"Studio video, {len(body.get('scenes') or [])} scenes, "
                f"~{seconds:.0f} s", factor=factor)
        return
    if kind == "cinematic_avatar":
        seconds = float(body.get("duration") or ASSUMED_SECONDS["cinematic"])
        est.add("Avatar IV video", billed_minutes(seconds), f"cinematic clip, ~{seconds:.0f} s", factor=factor)
        return
    seconds = _speech(body, est)
    engine = (body.get("engine") or {}).get("type") if kind == "avatar" else None
    price = ENGINE_PRICE.get(engine or "avatar_iv", "Avatar IV video")
    what = "avatar video" if kind == "avatar" else "image video"
    est.add(price, billed_minutes(seconds), f"{what}, ~{seconds:.0f} s", factor=factor)


def _v2_video(body: dict[str, Any], est: Estimate) -> None:
    seconds, prices = 0.0, []
    for scene in body.get("video_inputs") or []:
        voice = scene.get("voice") or {}
        if voice.get("type") == "text":
            seconds += spoken_seconds(str(voice.get("input_text", "")), speed=voice.get("speed"))
        elif voice.get("type") == "silence":
            seconds += float(voice.get("duration") or 1.0)
        else:
            seconds += _speech(voice, est)
        character = scene.get("character") or {}
        prices.append("v2 talking photo" if character.get("type") == "talking_photo" else "Avatar III video")
    dimension = body.get("dimension") or {}
    large = max(int(dimension.get("width") or 0), int(dimension.get("height") or 0)) > 1920
    factor = _resolution_factor("4k" if large else "1080p", est)
    price = max(prices or ["Avatar III video"], key=lambda name: PRICES[name].credits)
    est.add(price, billed_minutes(seconds), f"Studio video (v2), {len(prices)} scenes, ~{seconds:.0f} s",
            factor=factor)


def _template(body: dict[str, Any], est: Estimate) -> None:
    texts: list[str] = []
    for value in (body.get("variables") or {}).values():
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            content = (value.get("properties") or {}).get("content")
            if isinstance(content, str):
                texts.append(content)
    spoken = spoken_seconds(" ".join(texts)) if texts else 0.0
    seconds = max(ASSUMED_SECONDS["template"], spoken)
    est.assume(f"a template video lasts at least {ASSUMED_SECONDS['template']:g} s (its scenes are not read)")
    est.add("template video", billed_minutes(seconds), f"template video, ~{seconds:.0f} s")


_DURATION = re.compile(r"(\d{1,4}(?:\.\d+)?)\s*-?\s*(seconds?|secs?|s|minutes?|mins?)\b", re.IGNORECASE)


def brief_seconds(prompt: str) -> float | None:
    """A length a Video Agent brief states ("a 90-second video", "2 minutes"), if any."""
    found = _DURATION.search(prompt)
    if found is None:
        return None
    amount = float(found.group(1))
    return amount * 60 if found.group(2).lower().startswith("m") else amount


def _agent(body: dict[str, Any], est: Estimate, seconds: float | None) -> None:
    seconds = seconds or brief_seconds(str(body.get("prompt") or body.get("message") or ""))
    if seconds is None:
        seconds = ASSUMED_SECONDS["agent"]
        est.assume(f"the brief states no length: {seconds:g} s")
    est.add("Video Agent", billed_minutes(seconds), f"Video Agent video, ~{seconds:.0f} s")


def _source_seconds(body: dict[str, Any], est: Estimate, seconds: float | None, what: str) -> float:
    start, end = body.get("start_time"), body.get("end_time")
    if isinstance(end, int | float) and end > (start or 0):
        return float(end - (start or 0))
    if seconds:
        return seconds
    est.assume(f"the {what} lasts {ASSUMED_SECONDS['source']:g} s (its length is not known before sending)")
    return ASSUMED_SECONDS["source"]


def _translation(body: dict[str, Any], est: Estimate, seconds: float | None) -> None:
    languages = body.get("output_languages") or ([body["output_language"]] if body.get("output_language") else [])
    source = _source_seconds(body, est, seconds, "source video")
    price = "translation (precision)" if body.get("mode") == "precision" else "translation (speed)"
    est.add(price, billed_minutes(source) * max(1, len(languages)),
            f"{len(languages)} language(s) × ~{source:.0f} s of source")


def _avatar(body: dict[str, Any], est: Estimate) -> None:
    kind = body.get("type")
    price = {"prompt": "prompt look", "digital_twin": "digital twin"}.get(str(kind), "photo avatar")
    est.add(price, 1, f"{price} '{str(body.get('name') or '')[:40]}'")


def _speech_request(body: dict[str, Any], est: Estimate) -> None:
    seconds = spoken_seconds(str(body.get("text") or ""), speed=body.get("speed"), language=body.get("language"))
    est.add("speech", billed_minutes(seconds), f"speech, ~{seconds:.0f} s")


def _lipsync(body: dict[str, Any], est: Estimate, seconds: float | None) -> None:
    source = _source_seconds(body, est, seconds, "video")
    est.add("lipsync", billed_minutes(source), f"lipsync, ~{source:.0f} s")


Seconds = float | Sequence[float | None] | None
"""A length the caller knows and the body does not say; for a batch, one per item (or one for all)."""


def _nth(seconds: Seconds, n: int) -> float | None:
    if seconds is None or isinstance(seconds, int | float):
        return seconds
    return seconds[n] if n < len(seconds) else None


def estimate(method: str, path: str, body: Any, *, seconds: Seconds = None) -> Estimate | None:
    """The cost of one request as it would be sent, or None when it costs nothing. A batch costs the sum of
    its items, each priced as its single create would be.

    ``seconds``: a length the caller knows and the body does not say (a translation's or lipsync's source
    video, a Video Agent brief's target length); for a batch, a list with one per item."""
    given = _nth(seconds, 0)
    if method.upper() != "POST" or not isinstance(body, dict):
        return None
    path = path.split("?")[0].rstrip("/")
    est = Estimate()
    if path in FREE:
        return None
    if path == "/v3/videos":
        _v3_video(body, est)
    elif path == "/v3/videos/batches":
        for n, item in enumerate(body.get("videos") or [], 1):
            one = Estimate()
            _v3_video(item, one)
            est.merge(one, f"item {n}: ")
    elif path == "/v2/video/generate":
        _v2_video(body, est)
    elif re.fullmatch(r"/v3/templates/[^/]+|/v2/template/[^/]+/generate", path):
        _template(body, est)
    elif path == "/v3/video-agents" or re.fullmatch(r"/v3/video-agents/[^/]+", path):
        _agent(body, est, given)
    elif path == "/v3/video-translations":
        _translation(body, est, given)
    elif path == "/v3/video-translations/batches":
        for n, item in enumerate(body.get("video_translations") or [], 1):
            part = Estimate()
            _translation(item, part, _nth(seconds, n - 1))
            est.merge(part, f"item {n}: ")
    elif path == "/v3/avatars":
        _avatar(body, est)
    elif path == "/v3/voices/speech":
        _speech_request(body, est)
    elif path == "/v3/voices/clone":
        est.add("voice clone", 1, f"voice clone '{str(body.get('voice_name') or '')[:40]}'")
    elif path == "/v3/lipsyncs":
        _lipsync(body, est, given)
    elif path == "/v3/lipsyncs/batches":
        for n, item in enumerate(body.get("lipsyncs") or []):
            _lipsync(item, est, _nth(seconds, n))
    else:
        return None
    return est


# -- the budget of one paid tool call ------------------------------------------------------------------------

@dataclass
class PaidRequest:
    """A paid request as it would be sent (never its headers: no key), and what it will cost.
    ``replay_of``: the job an identical earlier request made, which HeyGen (or the job store) replays free."""

    method: str
    path: str
    body: dict[str, Any]
    estimate: Estimate
    replay_of: str | None = None

    @property
    def credits(self) -> float:
        return 0.0 if self.replay_of else self.estimate.credits


def subject(body: dict[str, Any]) -> str:
    """What a request makes, in a few words: its title, name, or the start of its script or brief."""
    for key in ("title", "name", "voice_name"):  # a title the client made up to find a v2 job again is no name
        if isinstance(body.get(key), str) and body[key].strip() and not body[key].startswith("heygen-studio hs-"):
            return f"'{body[key].strip()[:80]}'"
    texts = [body.get(k) for k in ("script", "prompt", "text")]
    texts += [((s.get("input") or s).get("script") if isinstance(s, dict) else None) for s in body.get("scenes") or []]
    texts += [(s.get("voice") or {}).get("input_text") for s in body.get("video_inputs") or [] if isinstance(s, dict)]
    text = " ".join(t for t in texts if isinstance(t, str)).strip()
    return f'"{text[:80]}{"…" if len(text) > 80 else ""}"' if text else ""


class Preview(Exception):  # not an error: a dry run's answer, raised instead of sending
    """Raised by ``before_paid`` in a dry run, in place of sending ``request``."""

    def __init__(self, request: PaidRequest | None, spend: Spend, note: str | None = None) -> None:
        super().__init__(f"dry run: {request.method} {request.path}" if request else "dry run: nothing to send")
        self.request = request
        self.spend = spend
        self.note = note


class SpendLimitError(HeyGenError):
    """A paid request's estimate is over the call's credit limit: refused before it was sent."""

    default_hint = "Nothing was sent or charged."


@dataclass
class Spend:
    """The budget of one paid tool call (see the module docstring).

    ``limit``: the most this call may spend, in credits (``limit_from`` names where it came from, for the
    refusal); ``confirmed``: the estimate a person confirmed, which the request sent may not exceed;
    ``uploads``: local files a dry run would have uploaded first (their asset ids are placeholders)."""

    dry_run: bool = False
    limit: float | None = None
    limit_from: str = ""
    confirmed: float | None = None
    requests: list[PaidRequest] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)

    @property
    def credits(self) -> float:
        return round(sum(r.credits for r in self.requests), 4)

    def check(self, request: PaidRequest) -> None:
        total = round(self.credits + request.credits, 4)
        if self.dry_run:
            raise Preview(request, self)
        if self.limit is not None and total > self.limit:
            raise SpendLimitError(
                f"This would cost about {total:g} credits ({'; '.join(request.estimate.lines)}), over the limit of "
                f"{self.limit:g} set by {self.limit_from}",
                hint=f"Nothing was sent or charged. To go ahead, raise {self.limit_from} to at least {total:g}, or "
                     "make it cheaper (shorter, lower resolution, fewer languages); dry_run=true shows the request.")
        if self.confirmed is not None and total > self.confirmed:
            raise SpendLimitError(
                f"The request now costs about {total:g} credits, more than the {self.confirmed:g} confirmed",
                hint="Nothing was sent or charged. Call again to confirm the new cost.")
        self.requests.append(request)


_SPEND: ContextVar[Spend | None] = ContextVar("heygen_spend", default=None)


@contextmanager
def spending(spend: Spend) -> Iterator[Spend]:
    """Run a paid tool call under ``spend``: every paid request the client builds meanwhile is checked by it."""
    token = _SPEND.set(spend)
    try:
        yield spend
    finally:
        _SPEND.reset(token)


def current() -> Spend | None:
    return _SPEND.get()


def previewing() -> bool:
    """True inside a dry run: nothing may be written, uploaded or sent (reads are fine)."""
    spend = _SPEND.get()
    return spend is not None and spend.dry_run


def before_paid(method: str, path: str, body: dict[str, Any], *, seconds: Seconds = None,
                replay_of: str | None = None) -> PaidRequest | None:
    """Price a request that is about to be claimed and sent, and hold it to the call's budget: raises
    ``SpendLimitError`` over the limit, ``Preview`` in a dry run. None when it costs nothing."""
    est = estimate(method, path, body, seconds=seconds)
    if est is None:
        return None
    request = PaidRequest(method.upper(), path, body, est, replay_of)
    spend = _SPEND.get()
    if spend is not None:
        spend.check(request)
    return request


def nothing_to_send(note: str) -> None:
    """In a dry run, end the call here: nothing would be sent (a repeat of a job already made, say)."""
    spend = _SPEND.get()
    if spend is not None and spend.dry_run:
        raise Preview(None, spend, note)
