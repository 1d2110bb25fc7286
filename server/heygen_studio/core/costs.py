"""Prices and estimates: what a paid request will cost, worked out from the request itself, before it is sent.

One price table (``PRICES``), in US dollars, each row with its source; the server estimates from it and the
sandbox charges from it, so an estimate and the sandbox's wallet agree to the cent. ``references/quota.md``
documents it. HeyGen bills an API key's work to the API wallet, a prepaid balance in US dollars on
pay-as-you-go (``GET /v3/users/me`` → ``wallet.currency: usd``), by output second; the table is HeyGen's
published pay-as-you-go price list (``PRICING``, read on ``PRICES_READ``). Every amount here is dollars: the
budget settings keep their names (``max_credits``, ``HEYGEN_MAX_CREDITS``, ``HEYGEN_DAILY_CREDITS``) and count
dollars of that wallet. A price HeyGen does not publish is marked ``assumed``, and every estimate that leans on
one, or on an assumed length, says so.

``estimate(method, path, body)`` prices one request body exactly as it would be sent; it returns None for a
request that costs nothing. Lengths: spoken text by the words-per-minute of its script (``core.scripts``,
per language, ``<break>`` pauses included); what the body does not say (an audio file, a template, a Video
Agent brief without a stated length, a translation source given by URL whose length could not be read) takes
an assumed length, named in the estimate. Output seconds are billed whole (a started second counts).

``Spend`` is one paid call's budget, passed explicitly: the workflow binds it to the client for that call
(``HeyGenClient.with_options(spend=…)``), and the client consults it (``before_paid``) after a paid request is
built and before it is claimed in the job store or sent: over the limit it raises ``SpendLimitError``; in a dry
run it raises ``Preview`` (nothing is claimed, journaled, uploaded or sent).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import HeyGenError

PRICING = "developers.heygen.com/docs/pricing"
PRICES_READ = "2026-12-06"
"""When ``PRICING`` was read for this table (its newest version; older versions priced Avatar IV at $0.10/s)."""


@dataclass(frozen=True)
class Price:
    """One row of the price table: US dollars per output (or source) second, per call, or per video."""

    name: str
    usd: float
    per: Literal["second", "call", "video"]
    source: str
    assumed: bool = False


PRICES: dict[str, Price] = {p.name: p for p in (
    Price("Avatar IV photo avatar", 0.05, "second", f"{PRICING} (Avatar IV, photo avatar, 720p/1080p)"),
    Price("Avatar IV studio avatar", 0.0667, "second",
          f"{PRICING} (Avatar IV, studio avatar or digital twin, 720p/1080p)"),
    Price("Avatar IV photo avatar 4K", 0.0667, "second", f"{PRICING} (Avatar IV & V, photo avatar, 4K)"),
    Price("Avatar IV studio avatar 4K", 0.0833, "second",
          f"{PRICING} (Avatar IV & V, studio avatar or digital twin, 4K)"),
    Price("Avatar V digital twin", 0.0667, "second", f"{PRICING} (Avatar V, digital twins only, 720p/1080p)"),
    Price("Avatar III studio avatar", 0.0167, "second",
          f"{PRICING} (Avatar III, studio avatar or digital twin; existing customers only)"),
    Price("Avatar III photo avatar", 0.0433, "second",
          f"{PRICING} (Avatar III, photo avatar; existing customers only)"),
    Price("Avatar III 4K", 0.02, "second", f"{PRICING} (Avatar III, 4K, an earlier version of the page)"),
    Price("cinematic avatar", 7.0, "video", f"{PRICING} (Cinematic Avatar, flat per video of 4–15 s)"),
    Price("template video", 0.0667, "second", "not published: priced as an Avatar IV studio avatar", assumed=True),
    Price("Video Agent", 0.0333, "second", f"{PRICING} (Video Agent, prompt to video)"),
    Price("translation (audio only)", 0.0167, "second", f"{PRICING} (video translation, speed, audio only)"),
    Price("translation (speed)", 0.0333, "second", f"{PRICING} (video translation, speed, lip sync)"),
    Price("translation (precision)", 0.0667, "second", f"{PRICING} (video translation, precision, lip sync)"),
    Price("lipsync (speed)", 0.0333, "second", f"{PRICING} (lipsync, speed)"),
    Price("lipsync (precision)", 0.0667, "second", f"{PRICING} (lipsync, precision)"),
    Price("speech", 0.000667, "second", f"{PRICING} (text to speech, Starfish)"),
    Price("photo avatar", 1.0, "call", f"{PRICING} (avatar creation, photo avatar)"),
    Price("prompt look", 1.0, "call", f"{PRICING} (avatar creation, photo avatar: a generated look is one)"),
    Price("digital twin", 1.0, "call", f"{PRICING} (avatar creation, digital twin)"),
    Price("voice clone", 1.0, "call", "not published: priced as an avatar creation", assumed=True),
)}
ASSUMED_SECONDS = {"audio": 60.0, "template": 60.0, "agent": 60.0, "source": 60.0, "clip": 10.0}
"""Lengths a request does not state: an audio file, a template (at least), a Video Agent brief, a lipsync
source, a silent Studio scene."""
LONGEST_SOURCE_S = 3600.0
"""The longest video HeyGen takes (its refusal: "Video is too long (> 3600.0s)"): a translation whose source
length cannot be read is priced at this worst case, so a cap bounds what it can really cost."""
FREE = ("/v3/voices",)  # voice design is a search over HeyGen's voices


def usd(amount: float) -> str:
    """Dollars as a person reads them: $0.0012 for fractions of a cent, else cents."""
    if amount and abs(amount) < 0.01:
        return f"${amount:.4f}"
    return f"${amount:,.2f}"


@dataclass
class Estimate:
    """What one request will cost: ``usd`` in total, a line per priced item, and what was assumed."""

    usd: float = 0.0
    lines: list[str] = field(default_factory=list)
    assumed: list[str] = field(default_factory=list)

    def add(self, price_name: str, amount: float, what: str) -> None:
        """``amount`` seconds (already whole) or calls/videos of ``price_name``."""
        price = PRICES[price_name]
        cost = round(price.usd * amount, 4)
        self.usd = round(self.usd + cost, 4)
        unit = {"second": "s", "call": " call" if amount == 1 else " calls",
                "video": " video" if amount == 1 else " videos"}[price.per]
        self.lines.append(f"{what}: {amount:g}{unit} × ${price.usd:g} ({price.name}) = {usd(cost)}")
        if price.assumed:
            self.assume(f"{price.name} price ({price.source})")

    def assume(self, what: str) -> None:
        if what not in self.assumed:
            self.assumed.append(what)

    def merge(self, other: Estimate, prefix: str = "") -> None:
        self.usd = round(self.usd + other.usd, 4)
        self.lines += [prefix + line for line in other.lines]
        for item in other.assumed:
            self.assume(item)


def billed_seconds(seconds: float) -> float:
    """Output seconds as HeyGen bills them: whole seconds, a started one counted, at least one."""
    return float(math.ceil(max(seconds, 1.0) - 1e-9))


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


def _avatar_price(engine: Any, photo: bool, four_k: bool) -> str:
    """The row for one presenter: its engine (Avatar IV unless named), a photo or a studio avatar, 4K or not."""
    engine = str(engine or "avatar_iv")
    if engine == "avatar_iii":
        return "Avatar III 4K" if four_k else ("Avatar III photo avatar" if photo else "Avatar III studio avatar")
    if engine == "avatar_v" and not four_k:
        return "Avatar V digital twin"
    return f"Avatar IV {'photo' if photo else 'studio'} avatar{' 4K' if four_k else ''}"


def _v3_video(body: dict[str, Any], est: Estimate) -> None:
    kind = body.get("type")
    four_k = str(body.get("resolution")) == "4k"
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
                prices.append(_avatar_price((speaker.get("engine") or {}).get("type"), False, four_k))
        # a Studio video is billed as one render, at its dearest presenter's rate (Avatar IV without one)
        price = max(prices or [_avatar_price(None, False, four_k)], key=lambda name: PRICES[name].usd)
        est.add(price, billed_seconds(seconds), f"Studio video, {len(body.get('scenes') or [])} scenes, "
                f"~{seconds:.0f} s")
        return
    if kind == "cinematic_avatar":
        est.add("cinematic avatar", 1, "cinematic clip (a flat price, whatever its length)")
        return
    seconds = _speech(body, est)
    engine = (body.get("engine") or {}).get("type")
    photo = kind == "image"
    if kind == "avatar" and str(engine or "avatar_iv") == "avatar_iv":
        est.assume("the avatar is a studio avatar or digital twin (a photo avatar look costs "
                   f"${PRICES['Avatar IV photo avatar'].usd:g}/s)")
    what = "avatar video" if kind == "avatar" else "image video"
    est.add(_avatar_price(engine, photo, four_k), billed_seconds(seconds), f"{what}, ~{seconds:.0f} s")


def _v2_video(body: dict[str, Any], est: Estimate) -> None:
    seconds, prices = 0.0, []
    dimension = body.get("dimension") or {}
    four_k = max(int(dimension.get("width") or 0), int(dimension.get("height") or 0)) > 1920
    for scene in body.get("video_inputs") or []:
        voice = scene.get("voice") or {}
        if voice.get("type") == "text":
            seconds += spoken_seconds(str(voice.get("input_text", "")), speed=voice.get("speed"))
        elif voice.get("type") == "silence":
            seconds += float(voice.get("duration") or 1.0)
        else:
            seconds += _speech(voice, est)
        character = scene.get("character") or {}
        # v2 Studio renders with Avatar III unless a scene asks for Avatar IV
        engine = "avatar_iv" if character.get("use_avatar_iv_model") else "avatar_iii"
        prices.append(_avatar_price(engine, character.get("type") == "talking_photo", four_k))
    price = max(prices or [_avatar_price("avatar_iii", False, four_k)], key=lambda name: PRICES[name].usd)
    est.add(price, billed_seconds(seconds), f"Studio video (v2), {len(prices)} scenes, ~{seconds:.0f} s")


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
    est.add("template video", billed_seconds(seconds), f"template video, ~{seconds:.0f} s")


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
    est.add("Video Agent", billed_seconds(seconds), f"Video Agent video, ~{seconds:.0f} s")


def _source_seconds(body: dict[str, Any], est: Estimate, seconds: float | None, what: str,
                    unknown: float = ASSUMED_SECONDS["source"]) -> float:
    start, end = body.get("start_time"), body.get("end_time")
    if isinstance(end, int | float) and end > (start or 0):
        return float(end - (start or 0))
    if seconds:
        return max(0.0, seconds - float(start or 0)) or seconds
    if unknown >= LONGEST_SOURCE_S:
        est.assume(f"the {what}'s length could not be read: priced at the longest HeyGen takes "
                   f"({unknown / 60:g} min); pass a video job id or an asset of known length, or set end_time")
    else:
        est.assume(f"the {what} lasts {unknown:g} s (its length is not known before sending)")
    return unknown


def _translation(body: dict[str, Any], est: Estimate, seconds: float | None) -> None:
    languages = body.get("output_languages") or ([body["output_language"]] if body.get("output_language") else [])
    source = _source_seconds(body, est, seconds, "source video", unknown=LONGEST_SOURCE_S)
    if body.get("mode") == "precision":
        price = "translation (precision)"
    else:
        price = "translation (audio only)" if body.get("translate_audio_only") else "translation (speed)"
    est.add(price, billed_seconds(source) * max(1, len(languages)),
            f"{max(1, len(languages))} language(s) × ~{source:.0f} s of source")


def _avatar(body: dict[str, Any], est: Estimate) -> None:
    kind = body.get("type")
    price = {"prompt": "prompt look", "digital_twin": "digital twin"}.get(str(kind), "photo avatar")
    est.add(price, 1, f"{price} '{str(body.get('name') or '')[:40]}'")


def _speech_request(body: dict[str, Any], est: Estimate) -> None:
    seconds = spoken_seconds(str(body.get("text") or ""), speed=body.get("speed"), language=body.get("language"))
    est.add("speech", billed_seconds(seconds), f"speech, ~{seconds:.0f} s")


def _lipsync(body: dict[str, Any], est: Estimate, seconds: float | None) -> None:
    source = _source_seconds(body, est, seconds, "video")
    price = "lipsync (precision)" if body.get("mode") == "precision" else "lipsync (speed)"
    est.add(price, billed_seconds(source), f"lipsync, ~{source:.0f} s")


Seconds = float | Sequence[float | None] | None
"""A length the caller knows and the body does not say; for a batch, one per item (or one for all)."""


def _nth(seconds: Seconds, n: int) -> float | None:
    if seconds is None or isinstance(seconds, int | float):
        return seconds
    return seconds[n] if n < len(seconds) else None


_CHARGED = re.compile(
    r"/v2/video/generate|/v2/template/[^/]+/generate|/v3/videos(/batches)?|/v3/templates/[^/]+"
    r"|/v3/video-agents(/[^/]+)?|/v3/video-translations(/batches)?|/v3/video-translations/proofreads(/[^/]+/generate)?"
    r"|/v3/avatars|/v3/voices/(speech|clone)|/v3/lipsyncs(/batches)?|/v3/ai-clipping|/v3/background-removals"
    r"|/v3/filler-word-removals|/v3/models/(videos|images|audio/tts|audio/voices|audio/sts)")


def charges(method: str, path: str) -> bool:
    """Whether HeyGen charges for this request: what ``HeyGenHTTP`` refuses to send unless the paid path
    (``HeyGenClient``: priced, held to the budget, claimed in the job store) admitted it. Listed by endpoint,
    not by price row, so an endpoint we cannot price yet is refused rather than sent unguarded."""
    return method.upper() == "POST" and _CHARGED.fullmatch(path.split("?")[0].rstrip("/")) is not None


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
    def usd(self) -> float:
        return 0.0 if self.replay_of else self.estimate.usd


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
    """A paid request's estimate is over the call's limit: refused before it was sent."""

    default_hint = "Nothing was sent or charged."


@dataclass
class Spend:
    """The budget of one paid tool call (see the module docstring).

    ``limit``: the most this call may spend, in dollars (``limit_from`` names where it came from, for the
    refusal); ``confirmed``: the estimate a person confirmed, which the request sent may not exceed;
    ``uploads``: local files a dry run would have uploaded first (their asset ids are placeholders)."""

    dry_run: bool = False
    limit: float | None = None
    limit_from: str = ""
    confirmed: float | None = None
    requests: list[PaidRequest] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)

    @property
    def usd(self) -> float:
        return round(sum(r.usd for r in self.requests), 4)

    def check(self, request: PaidRequest) -> None:
        total = round(self.usd + request.usd, 4)
        if self.dry_run:
            raise Preview(request, self)
        if self.limit is not None and total > self.limit:
            raise SpendLimitError(
                f"This would cost about {usd(total)} ({'; '.join(request.estimate.lines)}), over the limit of "
                f"{usd(self.limit)} set by {self.limit_from}",
                hint=f"Nothing was sent or charged. To go ahead, raise {self.limit_from} to at least {total:g}, or "
                     "make it cheaper (shorter, lower resolution, fewer languages); dry_run=true shows the request.")
        if self.confirmed is not None and total > self.confirmed:
            raise SpendLimitError(
                f"The request now costs about {usd(total)}, more than the {usd(self.confirmed)} confirmed",
                hint="Nothing was sent or charged. Call again to confirm the new cost.")
        self.requests.append(request)


def before_paid(method: str, path: str, body: dict[str, Any], spend: Spend | None, *, seconds: Seconds = None,
                replay_of: str | None = None) -> PaidRequest | None:
    """Price a request that is about to be claimed and sent, and hold it to the call's budget: raises
    ``SpendLimitError`` over the limit, ``Preview`` in a dry run. None when it costs nothing."""
    est = estimate(method, path, body, seconds=seconds)
    if est is None:
        return None
    request = PaidRequest(method.upper(), path, body, est, replay_of)
    if spend is not None:
        spend.check(request)
    return request


def previewing(spend: Spend | None) -> bool:
    """True for a dry run's budget: nothing may be written, uploaded or sent (reads are fine)."""
    return spend is not None and spend.dry_run


def nothing_to_send(spend: Spend | None, note: str) -> None:
    """In a dry run, end the call here: nothing would be sent (a repeat of a job already made, say)."""
    if spend is not None and spend.dry_run:
        raise Preview(None, spend, note)
