"""Sandbox renders: media that show what was asked for.

A finished sandbox video is an H.264/AAC MP4 at the requested width and height, as long as its request
implies (``costs.speech_seconds``: 150 words a minute, capped at ``MAX_SECONDS``), made of its scenes in order
(``RenderSpec.scenes``: a studio video's scenes, or the one scene of an avatar or image video). Each scene
shows its background (its colour, or a kept image filling the frame), its presenter (a talking photo's own
image, a placeholder portrait of an avatar look with the look's name, or a label where the sandbox cannot show
what was asked, such as a video clip) and its script as captions, phrase by phrase, and speaks it in its
voice's language at its speed, or plays the uploaded audio it was given. Kept images and audio are the
uploads' own bytes (``kept.py``), read by SHA-256.

* Pictures: Pillow draws one frame per phrase; PyAV (``av``, whose wheels bundle FFmpeg with libx264 and
  its AAC encoder) encodes it when its caption starts (variable frame rate, millisecond timestamps) and
  repeats it every ``HOLD_MS`` (cheap: nothing changed) so players can seek; a last frame makes the track
  last exactly the video's length.
* Speech: eSpeak NG through ``espeakng-loader`` (a wheel that ships ``libespeak-ng`` and its voice
  data; no system package, no network), driven with ``ctypes``. It is formant synthesis — robotic but
  real, intelligible speech in the voice's language, ~20 MB installed, and it synthesises a minute of
  speech in well under a second. Each phrase is spoken at the start of its caption and cut at its end,
  so captions and speech stay together. Without it the audio track is silence.
* The same spec gives the video's first frame (``thumbnail``: its ``thumbnail_url``), an animated GIF of its
  pictures (``preview``: its ``gif_url``), its sound alone as an MP3 (``speech``: ``create_speech``'s file, a
  translation's ``audio_url``) and, in routes/media.py, its captions as SRT/VTT, timed as they are said.
* All three come with the ``render`` extra (``pip install -e ".[render]"``). Without ``av`` or Pillow the
  sandbox serves its bundled samples instead (a 2-second 320×180 clip, a JPEG, a tone, a 1×1 GIF), and logs
  once how to get renders.

Renders happen lazily, on the first download, in a worker thread, once per distinct request and kind
(``RenderSpec.key`` and the file's suffix): kept in memory (a few recent ones) and, when the sandbox keeps its
state on disk, in ``renders/`` beside its state file.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from .costs import WORDS_PER_SECOND
from .kept import read_unlinked
from .media import sniff_mime

logger = logging.getLogger(__name__)

RENDER_VERSION = 3  # bump when the pictures or the sound change, so old cached renders are not served
FRAME_RATE = 25  # nominal: a frame is sent only when the caption changes, and repeated every HOLD_MS
HOLD_MS = 2000
MAX_PICTURES = 150
MILLISECOND = Fraction(1, 1000)
MAX_SECONDS = 300.0  # longest render (5 minutes); longer scripts are cut there
MIN_SECONDS = 1.0
SAMPLE_RATE = 22050
DEFAULT_BACKGROUND = "#1f2a3c"
PHRASE_WORDS = 12  # at most this many words on screen at once
MEMORY_RENDERS = 8  # renders kept in memory (tests and the in-memory sandbox)
RENDERS_FOLDER = "renders"
DISK_RENDERS = 64  # renders kept in ``renders/`` beside the state file; the oldest go first
_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")
_HEX3 = re.compile(r"^#([0-9a-fA-F]{3})$")
_BREAK = re.compile(r"<break\s+time\s*=\s*[\"']?([0-9.]+)\s*(ms|s)?[\"']?\s*/>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+")

# -- what a video looks like -------------------------------------------------------------------------
# Output sizes by resolution tier and aspect ratio (HeyGen's v3 ``resolution`` × ``aspect_ratio``).
_SHORT_EDGE = {"720p": 720, "1080p": 1080, "4k": 2160}
_RATIOS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:5": (4, 5), "5:4": (5, 4)}


def even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def dimensions(
    aspect_ratio: str | None, resolution: str | None, source: tuple[int, int] | None = None
) -> tuple[int, int]:
    """Width and height of a v3 video: the short edge is the resolution tier (default 1080p), the ratio is
    ``aspect_ratio`` (default 16:9); ``auto`` keeps ``source``'s ratio (an avatar look's image), its long
    edge capped at the tier's 16:9 long edge, and falls back to 16:9 without a source (as HeyGen documents)."""
    short = _SHORT_EDGE.get(resolution or "1080p", 1080)
    ratio = _RATIOS.get(aspect_ratio or "16:9")
    if ratio is None:  # "auto"
        ratio = source if source is not None and min(source) > 0 else _RATIOS["16:9"]
    a, b = ratio
    width: float
    height: float
    if a >= b:
        width, height = min(short * a / b, short * 16 / 9), short
    else:
        width, height = short, min(short * b / a, short * 16 / 9)
    return even(width), even(height)


@dataclass(frozen=True)
class Scene:
    """One scene of a render: how long it lasts, what is said, and what is shown."""

    seconds: float
    script: str = ""
    background: str = DEFAULT_BACKGROUND  # the colour behind
    avatar: str | None = None  # a look's name, drawn as a placeholder portrait; None: no presenter
    photo: str | None = None  # a kept image (its SHA-256, ``kept.py``) that is the presenter: a talking photo
    backdrop: str | None = None  # a kept image filling the frame behind the presenter (an image scene, a background)
    fit: str | None = None  # how ``photo`` fits the frame: "cover", "contain", or None (by the orientations)
    label: str | None = None  # drawn mid-frame where the sandbox cannot show what was asked (a video clip)
    language: str = "en"  # eSpeak NG voice (a language code)
    female: bool = False
    speed: float = 1.0  # the voice's speed (the scene's ``seconds`` already account for it)
    audio: str | None = None  # a kept audio file (its SHA-256) played from the scene's start instead of speech


@dataclass(frozen=True)
class RenderSpec:
    """Everything a render depends on (its ``key`` names the cached files): the size and the scenes, in order,
    and the part of them shown (a translation or a lipsync of part of a video)."""

    width: int
    height: int
    scenes: tuple[Scene, ...]
    start: float = 0.0  # where in the scenes the render starts
    length: float | None = None  # how long it lasts (the last picture is held, in silence); None: to their end
    note: str | None = None  # added to the corner label, e.g. "Translated into French (France)"

    @property
    def duration(self) -> float:
        if self.length is not None:
            return self.length
        return max(0.0, sum(scene.seconds for scene in self.scenes) - self.start)

    @property
    def seconds(self) -> float:
        return min(max(self.duration, MIN_SECONDS), MAX_SECONDS)

    @property
    def key(self) -> str:
        data = json.dumps([RENDER_VERSION, asdict(self)], sort_keys=True)
        return hashlib.sha256(data.encode()).hexdigest()[:32]


def colour(value: str | None) -> str:
    """``#rrggbb`` from ``#rrggbb``, ``rrggbb`` or ``#rgb``; the default background otherwise."""
    match = _HEX.match(value or "")
    if match:
        return f"#{match.group(1).lower()}"
    short = _HEX3.match(value or "")
    if short:
        return "#" + "".join(c * 2 for c in short.group(1).lower())
    return DEFAULT_BACKGROUND


# -- the script as timed phrases ---------------------------------------------------------------------
@dataclass(frozen=True)
class Phrase:
    text: str  # "" for a pause
    start: float
    end: float
    scene: int = 0  # its scene's index in ``RenderSpec.scenes``
    cut: float = 0.0  # seconds of it before the render starts (not heard)


def phrases(script: str, seconds: float, limit: float = MAX_SECONDS) -> list[Phrase]:
    """The script cut into captions of at most ``PHRASE_WORDS`` words (sentence by sentence), each given
    time in proportion to its words (150 a minute) and ``<break time=…/>`` pauses, spread over ``seconds``
    (the scene's length), and cut at ``limit``."""
    pieces: list[tuple[str, float]] = []
    cursor = 0
    for match in _BREAK.finditer(script):
        pieces += _spoken(script[cursor : match.start()])
        try:
            pause = float(match.group(1))
        except ValueError:
            pause = 0.0
        pause = pause / 1000 if (match.group(2) or "").lower() == "ms" else pause
        if pause > 0:
            pieces.append(("", min(pause, MAX_SECONDS)))
        cursor = match.end()
    pieces += _spoken(script[cursor:])
    total = sum(weight for _, weight in pieces)
    if not pieces or total <= 0:
        return [Phrase("", 0.0, min(seconds, limit))]
    scale = seconds / total
    out, at = [], 0.0
    for text, weight in pieces:
        end = min(seconds, limit, at + weight * scale)
        if end > at:
            out.append(Phrase(text, at, end))
        at = end
    return out


def timeline(spec: RenderSpec) -> list[Phrase]:
    """Every scene's phrases, one scene after the other, from ``spec.start`` for ``spec.seconds``; when the
    scenes end sooner, a pause holds the last one to the end."""
    end = spec.seconds
    out: list[Phrase] = []
    current = 0
    for index, (at, scene) in enumerate(zip(scene_starts(spec), spec.scenes, strict=True)):
        if at >= end:
            break
        if at <= 0:
            current = index
        if at + scene.seconds <= 0:
            continue
        for phrase in phrases(scene.script, scene.seconds):
            start, stop = at + phrase.start, min(at + phrase.end, end)
            if stop > max(start, 0.0):
                out.append(Phrase(phrase.text, max(start, 0.0), stop, index, max(0.0, -start)))
    if not out:
        return [Phrase("", 0.0, end, current)]
    if out[-1].end < end:
        out.append(Phrase("", out[-1].end, end, out[-1].scene))
    return out


def scene_starts(spec: RenderSpec) -> list[float]:
    """When each scene starts in the render (seconds; negative before ``spec.start``)."""
    starts, at = [], -spec.start
    for scene in spec.scenes:
        starts.append(at)
        at += scene.seconds
    return starts


def _spoken(text: str) -> list[tuple[str, float]]:
    words_by_sentence = [s.split() for s in _SENTENCE.split(_TAG.sub(" ", text)) if s.strip()]
    pieces = []
    for words in words_by_sentence:
        for i in range(0, len(words), PHRASE_WORDS):
            chunk = words[i : i + PHRASE_WORDS]
            pieces.append((" ".join(chunk), len(chunk) / WORDS_PER_SECOND))
    return pieces


# -- availability ------------------------------------------------------------------------------------
def missing() -> str | None:
    """``None`` when renders work here, else what to install."""
    try:
        import av  # noqa: F401
        import PIL  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed"
    return None


_warned = False


def warn_fallback(reason: str) -> None:
    global _warned
    if not _warned:
        _warned = True
        logger.warning(
            "sandbox videos are a 2-second 320x180 sample clip (%s); install the render extra "
            "(pip install 'heygen-studio[render]') for videos at the requested size, with captions and speech",
            reason,
        )


# -- speech (eSpeak NG from the espeakng-loader wheel) ------------------------------------------------
_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE = 1


class Speaker:
    """eSpeak NG loaded once per process; ``speak`` is serialised (the library keeps global state)."""

    _lock = threading.Lock()
    _lib: Any = None
    _failed: str | None = None
    _rate = SAMPLE_RATE
    _chunks: list[bytes] = []  # noqa: RUF012 - filled by the callback while the lock is held
    _callback: Any = None

    @classmethod
    def _load(cls) -> Any:
        if cls._lib is not None or cls._failed is not None:
            return cls._lib
        try:
            import espeakng_loader  # type: ignore[import-untyped]

            lib = ctypes.CDLL(espeakng_loader.get_library_path())
            lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
            lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
            lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
            lib.espeak_Synth.argtypes = [
                ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                ctypes.c_void_p, ctypes.c_void_p,
            ]
            rate = lib.espeak_Initialize(
                _AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0
            )
            if rate <= 0:
                raise OSError(f"espeak_Initialize returned {rate}")

            def collect(wav: Any, count: int, _events: Any) -> int:
                if count > 0 and wav:
                    cls._chunks.append(ctypes.string_at(wav, count * 2))
                return 0

            cls._callback = _SynthCallback(collect)
            lib.espeak_SetSynthCallback(cls._callback)
            cls._lib, cls._rate = lib, rate
        except (ImportError, OSError, AttributeError, RuntimeError) as exc:
            cls._failed = str(exc) or type(exc).__name__
            logger.warning("sandbox videos are silent: eSpeak NG is unavailable (%s)", cls._failed)
        return cls._lib

    @classmethod
    def rate(cls) -> int:
        """The sample rate speech comes at (``SAMPLE_RATE`` without eSpeak NG)."""
        with cls._lock:
            cls._load()
            return cls._rate

    @classmethod
    def speak(cls, text: str, language: str, female: bool, speed: float = 1.0) -> tuple[bytes, int] | None:
        """16-bit mono PCM of ``text`` and its sample rate; ``None`` when eSpeak NG is unavailable."""
        with cls._lock:
            lib = cls._load()
            if lib is None:
                return None
            voice = language.lower()
            if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                lib.espeak_SetVoiceByName(voice.split("-")[0].encode())
            # a little faster than the 150 words a minute captions are timed for, so a phrase's sentence-end
            # pause is not what gets cut at the end of its caption; ``speed`` as the request asked
            lib.espeak_SetParameter(_RATE, int(WORDS_PER_SECOND * 60 * 1.08 * max(0.25, speed)), 0)
            lib.espeak_SetParameter(3, 70 if female else 45, 0)  # espeakPITCH
            cls._chunks = []
            data = text.encode("utf-8", "replace")
            lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            pcm, cls._chunks = b"".join(cls._chunks), []
            return pcm, cls._rate


Files = Callable[[str], "bytes | None"]  # a kept file's bytes by SHA-256 (``KeptFiles.get``)


def _no_files(_digest: str) -> bytes | None:
    return None


def decoded_audio(data: bytes, rate: int, limit: float = MAX_SECONDS) -> bytes | None:
    """An audio file as 16-bit mono PCM at ``rate`` (at most ``limit`` seconds); ``None`` when it cannot be read."""
    import io

    import av

    out = bytearray()
    most = int(limit * rate) * 2
    try:
        with av.open(io.BytesIO(data), "r") as container:
            if not container.streams.audio:
                return None
            resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
            for frame in container.decode(container.streams.audio[0]):
                for piece in resampler.resample(frame):
                    out += bytes(piece.planes[0])[: piece.samples * 2]
                if len(out) >= most:
                    break
    except (av.FFmpegError, ValueError, IndexError) as exc:
        logger.warning("sandbox render: an audio file could not be read (%s)", exc)
        return None
    return bytes(out[:most])


def soundtrack(spec: RenderSpec, lines: list[Phrase], files: Files = _no_files) -> tuple[bytes, int]:
    """The whole audio track: each phrase spoken (in its scene's voice) from the start of its caption, cut at
    its end; a scene's kept audio played from the scene's start, cut at its end."""
    rate = Speaker.rate() if any(p.text for p in lines) else SAMPLE_RATE
    total = int(spec.seconds * rate)
    track = bytearray(total * 2)

    def place(pcm: bytes, start: float, end: float, cut: float = 0.0) -> None:
        """``pcm`` from ``start`` to at most ``end`` (seconds), its first ``cut`` seconds left out."""
        if start < 0:
            start, cut = 0.0, cut - start
        pcm = pcm[int(cut * rate) * 2 :]
        first = int(start * rate) * 2
        room = min(int(end * rate) * 2, len(track)) - first
        piece = pcm[: max(0, min(len(pcm), room))]
        track[first : first + len(piece)] = piece

    for phrase in lines:
        if not phrase.text:
            continue
        scene = spec.scenes[phrase.scene]
        if scene.audio:
            continue
        said = Speaker.speak(phrase.text, scene.language, scene.female, scene.speed)
        if said is None:
            break
        place(said[0], phrase.start, phrase.end, phrase.cut)
    for start, scene in zip(scene_starts(spec), spec.scenes, strict=True):
        data = files(scene.audio) if scene.audio and start < spec.seconds and start + scene.seconds > 0 else None
        pcm = decoded_audio(data, rate, scene.seconds) if data else None
        if pcm:
            place(pcm, start, start + scene.seconds)
    return bytes(track), rate


# -- pictures (Pillow) -------------------------------------------------------------------------------
def _font(size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _wrap(draw: Any, text: str, font: Any, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(trial, font=font) <= width:
            lines[-1] = trial
        else:
            lines.append(word)
    return lines


def _portrait(draw: Any, name: str, box: tuple[int, int, int, int]) -> None:
    """A placeholder presenter: head and shoulders in a tint derived from the look's name, and the name."""
    left, top, right, bottom = box
    digest = hashlib.sha256(name.encode()).digest()
    tint = (90 + digest[0] % 120, 90 + digest[1] % 120, 90 + digest[2] % 120)
    cx, size = (left + right) // 2, min(right - left, bottom - top)
    head = size // 5
    head_top = top + size // 8
    draw.ellipse((cx - head, head_top, cx + head, head_top + 2 * head), fill=tint)
    shoulders_top = head_top + 2 * head + size // 40
    draw.pieslice(
        (cx - int(head * 2.2), shoulders_top, cx + int(head * 2.2), shoulders_top + int(head * 3.6)),
        180, 360, fill=tint,
    )
    font = _font(max(12, size // 22))
    draw.text((cx, shoulders_top + int(head * 1.9)), name, font=font, fill="#ffffff", anchor="mm")


MAX_IMAGE_PIXELS = 50_000_000  # a larger picture (a decompression bomb, or just huge) is not drawn


class Painter:
    """Draws a render's pictures; reads and decodes its kept images once."""

    def __init__(self, spec: RenderSpec, files: Files = _no_files) -> None:
        self.spec = spec
        self.files = files
        self._images: dict[str, Any] = {}
        self._fitted: dict[tuple[str, str | None], tuple[Any, tuple[int, int]]] = {}

    def image(self, digest: str | None) -> Any:
        """A kept image as an RGB ``PIL.Image``, or ``None`` (not kept, not an image, too large)."""
        if not digest:
            return None
        if digest not in self._images:
            self._images[digest] = self._decode(self.files(digest))
        return self._images[digest]

    def _decode(self, data: bytes | None) -> Any:
        import io

        from PIL import Image, ImageOps

        if not data:
            return None
        try:
            with Image.open(io.BytesIO(data)) as opened:
                if opened.width * opened.height > MAX_IMAGE_PIXELS:
                    raise ValueError(f"{opened.width}x{opened.height} is too large")
                opened.draft("RGB", (self.spec.width, self.spec.height))  # JPEG: decode at about the size needed
                return ImageOps.exif_transpose(opened).convert("RGB")
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            logger.warning("sandbox render: an image could not be read (%s)", exc)
            return None

    def _place(self, canvas: Any, digest: str, fit: str | None) -> bool:
        """The kept image ``digest`` centred on ``canvas``: scaled to fill it ("cover", edges cropped) or to
        fit in it ("contain"); without ``fit``, cover when both have the same orientation, else contain.
        Scaled once per render; ``False`` when the image cannot be read."""
        if (digest, fit) not in self._fitted:
            image = self.image(digest)
            if image is None:
                return False
            w, h = canvas.size
            iw, ih = image.size
            mode = fit if fit in ("cover", "contain") else ("cover" if (iw >= ih) == (w >= h) else "contain")
            scale = max(w / iw, h / ih) if mode == "cover" else min(w / iw, h / ih)
            size = (max(1, round(iw * scale)), max(1, round(ih * scale)))
            self._fitted[digest, fit] = image.resize(size), ((w - size[0]) // 2, (h - size[1]) // 2)
        fitted, at = self._fitted[digest, fit]
        canvas.paste(fitted, at)
        return True

    def picture(self, index: int, caption: str) -> Any:
        """One frame of scene ``index``: its background (a colour, an image), its presenter (a photo, a
        placeholder portrait, or a label), a ``SANDBOX`` label and the caption."""
        from PIL import Image, ImageDraw

        spec = self.spec
        scene = spec.scenes[index] if 0 <= index < len(spec.scenes) else Scene(spec.seconds)
        w, h = spec.width, spec.height
        image = Image.new("RGB", (w, h), scene.background)
        if scene.backdrop:
            self._place(image, scene.backdrop, "cover")
        draw = ImageDraw.Draw(image)
        short = min(w, h)
        caption_top = int(h * 0.72)
        photo = bool(scene.photo) and self._place(image, scene.photo or "", scene.fit)  # the talking photo itself
        if not photo and scene.avatar is not None:
            _portrait(draw, scene.avatar, (0, int(h * 0.04), w, caption_top))
        elif not photo and scene.label:
            font = _font(max(12, short // 14))
            draw.text((w // 2, caption_top // 2), scene.label, font=font, fill="#ffffff", anchor="mm")
        label = _font(max(10, short // 36))
        corner = f"HeyGen sandbox - {w}x{h}" + (f" - {spec.note}" if spec.note else "")
        draw.text((short // 40, short // 40), corner, font=label, fill="#d0d4dc")
        if caption:
            size = max(12, short // 16)
            for _ in range(6):
                font = _font(size)
                lines = _wrap(draw, caption, font, int(w * 0.9))
                if len(lines) * size * 1.25 <= h - caption_top - short // 30 or size <= 12:
                    break
                size = max(12, int(size * 0.8))
            height = int(len(lines) * size * 1.25)
            top = caption_top + max(0, (h - caption_top - height) // 2)
            draw.rectangle((int(w * 0.03), top - size // 4, int(w * 0.97), top + height + size // 8), fill="#000000")
            for i, line in enumerate(lines):
                draw.text((w // 2, top + int(i * size * 1.25)), line, font=font, fill="#ffffff", anchor="ma")
        return image


def thumbnail(spec: RenderSpec, files: Files = _no_files) -> bytes:
    """The first frame as a JPEG (the video's ``thumbnail_url``)."""
    import io

    first = timeline(spec)[0]
    out = io.BytesIO()
    Painter(spec, files).picture(first.scene, first.text).save(out, format="JPEG", quality=80)
    return out.getvalue()


PREVIEW_WIDTH = 320  # the animated GIF preview's long edge


def preview(spec: RenderSpec, files: Files = _no_files) -> bytes:
    """An animated GIF of the render's pictures at ``PREVIEW_WIDTH`` (the video's ``gif_url``), each held as
    long as in the video."""
    import io

    scale = PREVIEW_WIDTH / max(spec.width, spec.height)
    small = replace(spec, width=even(spec.width * scale), height=even(spec.height * scale))
    painter = Painter(small, files)
    frames, durations = [], []
    for start, until, index, text in _pictures(timeline(spec), spec.seconds):
        frames.append(painter.picture(index, text).quantize(colors=64))
        durations.append(max(20, until - start))
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return out.getvalue()


# -- encoding (PyAV) ---------------------------------------------------------------------------------
def _pictures(lines: list[Phrase], seconds: float) -> list[tuple[int, int, int, str]]:
    """``(start ms, end ms, scene, caption)`` of each distinct picture: one per phrase, but none sooner than
    ``seconds / MAX_PICTURES`` after the previous one in the same scene (only a script of many one-word
    sentences is affected: its captions then skip some words), so a render draws at most ``MAX_PICTURES``
    pictures and one more per scene."""
    gap = max(0.25, seconds / MAX_PICTURES)
    chosen: list[tuple[float, int, str]] = []
    for phrase in lines:
        if not chosen or phrase.scene != chosen[-1][1] or phrase.start >= chosen[-1][0] + gap:
            chosen.append((phrase.start, phrase.scene, phrase.text))
    chosen = chosen or [(0.0, 0, "")]
    ends = [start for start, _, _ in chosen[1:]] + [seconds]
    return [
        (round(start * 1000), round(until * 1000), index, text)
        for (start, index, text), until in zip(chosen, ends, strict=True)
    ]


def _encode_audio(out: Any, stream: Any, pcm: bytes, rate: int) -> None:
    import av

    chunk = rate  # one second of samples per frame
    for start in range(0, len(pcm) // 2, chunk):
        piece = pcm[start * 2 : (start + chunk) * 2]
        samples = av.AudioFrame(format="s16", layout="mono", samples=len(piece) // 2)
        samples.planes[0].update(piece)
        samples.sample_rate, samples.pts = rate, start
        out.mux(stream.encode(samples))
    out.mux(stream.encode(None))


def render(spec: RenderSpec, files: Files = _no_files) -> bytes:
    """The MP4 for ``spec`` (H.264 + AAC, ``movflags=faststart``). CPU-bound: run it in a thread."""
    import av

    lines = timeline(spec)
    pcm, rate = soundtrack(spec, lines, files)
    painter = Painter(spec, files)
    end = round(spec.seconds * 1000)
    with tempfile.TemporaryDirectory(prefix="heygen-render-") as tmp:
        path = os.path.join(tmp, "video.mp4")
        with av.open(path, "w", format="mp4", options={"movflags": "+faststart"}) as out:
            video = out.add_stream("libx264", rate=FRAME_RATE)
            video.width, video.height, video.pix_fmt = spec.width, spec.height, "yuv420p"
            video.codec_context.time_base = video.time_base = MILLISECOND
            video.options = {"preset": "ultrafast", "tune": "stillimage", "crf": "30", "g": "5"}
            audio = out.add_stream("aac", rate=rate, layout="mono")
            audio.bit_rate = 48_000
            audio.options = {"aac_coder": "fast"}  # FFmpeg's default coder takes ~6x as long on speech
            last = -1
            for start, until, index, text in _pictures(lines, spec.seconds):
                image = painter.picture(index, text)
                frame = av.VideoFrame.from_image(image).reformat(format="yuv420p")  # type: ignore[no-untyped-call]
                frame.time_base = MILLISECOND
                for at in range(start, until, HOLD_MS):
                    frame.pts = last = at
                    out.mux(video.encode(frame))
            closing = end - 1000 // FRAME_RATE  # the last frame lasts 1/FRAME_RATE: the track ends at ``end``
            if closing > last:
                frame.pts = closing
                out.mux(video.encode(frame))
            out.mux(video.encode(None))
            _encode_audio(out, audio, pcm, rate)
        return Path(path).read_bytes()


def speech(spec: RenderSpec, files: Files = _no_files) -> bytes:
    """The render's sound alone, as an MP3 (``create_speech``'s file, a translation's ``audio_url``)."""
    import av

    pcm, rate = soundtrack(spec, timeline(spec), files)
    with tempfile.TemporaryDirectory(prefix="heygen-render-") as tmp:
        path = os.path.join(tmp, "speech.mp3")
        with av.open(path, "w", format="mp3") as out:
            audio = out.add_stream("libmp3lame", rate=rate, layout="mono")
            audio.bit_rate = 48_000
            _encode_audio(out, audio, pcm, rate)
        return Path(path).read_bytes()


# -- the cache ---------------------------------------------------------------------------------------
MAKERS: dict[str, tuple[Callable[[RenderSpec, Files], bytes], str]] = {
    ".mp4": (render, "video/mp4"),
    ".mp3": (speech, "audio/mpeg"),
    ".jpg": (thumbnail, "image/jpeg"),
    ".gif": (preview, "image/gif"),
}


class Renders:
    """Renders by ``RenderSpec.key`` and kind (``MAKERS``: the video, its sound, its first frame, its
    preview): a few in memory, more in ``folder`` (when given); one render of a key at a time (a second
    request for it waits for the first). ``files`` reads the kept files a spec names (``kept.py``)."""

    # shared by every sandbox in the process (a key names its content, so sharing is safe; tests reuse renders)
    _memory: OrderedDict[str, bytes] = OrderedDict()  # noqa: RUF012

    def __init__(self, folder: Path | None, files: Files = _no_files) -> None:
        self.folder = folder
        self.files = files
        self._locks: dict[str, anyio.Lock] = {}

    async def get(self, spec: RenderSpec, suffix: str = ".mp4") -> bytes:
        make, _ = MAKERS[suffix]
        name = spec.key + suffix
        lock = self._locks.setdefault(name, anyio.Lock())
        async with lock:
            data = self._memory.get(name) or self._read(name)
            if data is None:
                data = await anyio.to_thread.run_sync(make, spec, self.files)
                self._write(name, data)
            self._remember(name, data)
        if not lock.locked():
            self._locks.pop(name, None)
        return data

    def _remember(self, name: str, data: bytes) -> None:
        self._memory[name] = data
        self._memory.move_to_end(name)
        while len(self._memory) > MEMORY_RENDERS:
            self._memory.popitem(last=False)

    def _path(self, name: str) -> Path | None:
        return None if self.folder is None else self.folder / name

    def _read(self, name: str) -> bytes | None:
        path = self._path(name)
        data = None if path is None else read_unlinked(path)
        return data if data is not None and sniff_mime(data[:64]) == MAKERS[Path(name).suffix][1] else None

    def _write(self, name: str, data: bytes) -> None:
        path = self._path(name)
        if path is None or self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if self.folder.is_symlink():
                raise OSError(f"{self.folder} is a symbolic link")
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".render-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
            kept = sorted(
                (p for p in self.folder.iterdir() if p.suffix in MAKERS), key=lambda p: p.stat().st_mtime
            )
            for old in kept[:-DISK_RENDERS]:
                old.unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("sandbox render not kept on disk (%s): %s", self.folder, exc)
