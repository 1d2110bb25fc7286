"""Sandbox renders show what was asked for: the requested width and height, about the length the script
implies, captions and speech. Sizes and lengths are read from the MP4 file itself (its ``mvhd`` and
``tkhd`` boxes, parsed here), and checked again by decoding it with PyAV."""

from __future__ import annotations

import io
import math
import struct
import sys
from array import array
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx2
import pytest

from conftest import make_settings
from contract import ContractTransport, load_contract
from heygen_studio.sandbox import SANDBOX_BASE_URL, ManualClock, SandboxConfig, create_app
from heygen_studio.sandbox.costs import speech_seconds
from heygen_studio.sandbox.render import MAX_SECONDS, RENDERS_FOLDER, dimensions

pytestmark = pytest.mark.anyio

LOOK = "Abigail_expressive_2024112501"  # landscape, female
PORTRAIT_LOOK = "Adrian_casual_20240312"  # a portrait look (1080×1920)
SHORT = "Hello from the sandbox. This is a short one."
LONG = " ".join(
    ["Our quarterly update covers revenue, hiring and the product roadmap for the coming months."] * 8
)


# -- reading an MP4 ---------------------------------------------------------------------------------
def boxes(data: bytes, start: int = 0, end: int | None = None) -> dict[str, list[bytes]]:
    """The boxes directly inside ``data[start:end]``: type → payloads."""
    end = len(data) if end is None else end
    found: dict[str, list[bytes]] = {}
    while start + 8 <= end:
        size, kind = struct.unpack(">I4s", data[start : start + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[start + 8 : start + 16])[0], 16
        elif size == 0:
            size = end - start
        assert size >= header, "malformed box"
        found.setdefault(kind.decode("latin-1"), []).append(data[start + header : start + size])
        start += size
    return found


def probe(data: bytes) -> dict[str, Any]:
    """Width, height and duration of an MP4 from its movie header and its video track's header."""
    assert data[4:8] == b"ftyp"
    moov = boxes(data)["moov"][0]
    inside = boxes(moov)
    mvhd = inside["mvhd"][0]
    if mvhd[0] == 1:
        timescale, duration = struct.unpack(">IQ", mvhd[20:32])
    else:
        timescale, duration = struct.unpack(">II", mvhd[12:20])
    tracks: dict[str, tuple[float, float]] = {}
    for trak in inside["trak"]:
        parts = boxes(trak)
        handler = boxes(parts["mdia"][0])["hdlr"][0][8:12].decode()
        tkhd = parts["tkhd"][0]
        width, height = struct.unpack(">II", tkhd[-8:])
        tracks[handler] = (width / 65536, height / 65536)
    width, height = tracks["vide"]
    return {"width": width, "height": height, "duration": duration / timescale, "tracks": sorted(tracks)}


def pcm(data: bytes) -> array[int]:
    """The audio track decoded to 16 kHz mono 16-bit samples."""
    import av

    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = array("h")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                samples.frombytes(bytes(out.planes[0])[: out.samples * 2])
    return samples


def rms(values: Any) -> float:
    return math.sqrt(sum(v * v for v in values) / max(1, len(values)))


def loudness(data: bytes) -> tuple[float, float]:
    """RMS of the audio track (16-bit scale) over the whole file and over its loudest second."""
    samples = pcm(data)
    seconds = [samples[i : i + 16000] for i in range(0, len(samples), 16000)]
    return rms(samples), max(rms(s) for s in seconds)


# -- the sandbox over HTTP, every exchange checked against the contract ------------------------------
@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def app(clock: ManualClock) -> Any:
    return create_app(SandboxConfig(), clock)


@pytest.fixture
async def api(app: Any) -> AsyncIterator[httpx2.AsyncClient]:
    wire = ContractTransport(httpx2.ASGITransport(app=app), load_contract())
    async with httpx2.AsyncClient(transport=wire, base_url=SANDBOX_BASE_URL, headers={"x-api-key": "test-key"}) as c:
        yield c
    assert wire.violations == [], "contract violations:\n" + "\n".join(wire.violations)


async def finished(api: httpx2.AsyncClient, clock: ManualClock, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Create a video, let the sandbox clock run past its render, and return ``GET /v3/videos/{id}``."""
    created = await api.post(path, json=body)
    assert created.status_code == 200, created.text
    video_id = created.json()["data"]["video_id"]
    clock.advance(3600)
    got = await api.get(f"/v3/videos/{video_id}")
    assert got.status_code == 200, got.text
    detail: dict[str, Any] = got.json()["data"]
    assert detail["status"] == "completed"
    return detail


async def download(api: httpx2.AsyncClient, url: str) -> bytes:
    response = await api.get(url)
    assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
    return response.content


def assert_close(actual: float, expected: float, tolerance: float = 0.2) -> None:
    assert abs(actual - expected) <= tolerance * expected, f"{actual:.2f}s, expected about {expected:.2f}s"


async def test_landscape_1080p_avatar_video_has_the_size_length_captions_and_speech(
    api: httpx2.AsyncClient, clock: ManualClock
) -> None:
    detail = await finished(api, clock, "/v3/videos", {
        "type": "avatar", "avatar_id": LOOK, "script": LONG, "resolution": "1080p", "aspect_ratio": "16:9",
        "background": {"type": "color", "value": "#204060"},
    })
    data = await download(api, detail["video_url"])
    info = probe(data)
    assert (info["width"], info["height"]) == (1920, 1080)
    assert info["tracks"] == ["soun", "vide"]
    assert_close(info["duration"], speech_seconds(LONG))
    assert_close(info["duration"], detail["duration"])

    import av

    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.name, video.width, video.height) == ("h264", 1920, 1080)
        pictures = [frame.to_image() for frame in container.decode(video)]
    first = pictures[0]
    # the captions move on through the script, phrase by phrase: LONG is 8 sentences of 14 words, shown as
    # 12 + 2 words each, so 16 captions and 15 changes (a repeated frame differs by coding noise only)
    from PIL import ImageChops, ImageStat

    strips = [picture.crop((0, 760, 1920, 1080)).convert("L") for picture in pictures]
    changes = [ImageStat.Stat(ImageChops.difference(a, b)).mean[0] for a, b in pairwise(strips)]
    assert sum(change > 5 for change in changes) == 15
    # the requested background colour fills the corner, and the caption box (black behind white text) is there
    r, g, b = first.getpixel((1900, 500))
    assert abs(r - 0x20) < 12 and abs(g - 0x40) < 12 and abs(b - 0x60) < 12
    caption = first.crop((100, 800, 1820, 1060)).convert("L")
    darkest, brightest = caption.getextrema()
    assert darkest < 30 and brightest > 220

    whole, loudest = loudness(data)
    assert loudest > 500, "the script is spoken: the audio track is not silent"
    assert whole > 100

    # the same request's render is served again, byte for byte (rendered once, then cached)
    again = await api.get(f"/v3/videos/{detail['id']}")
    assert await download(api, again.json()["data"]["video_url"]) == data


async def test_speech_follows_the_script_and_its_pauses(api: httpx2.AsyncClient, clock: ManualClock) -> None:
    script = 'First part here. <break time="3s"/> Second part here.'
    detail = await finished(api, clock, "/v3/videos", {
        "type": "avatar", "avatar_id": LOOK, "script": script, "resolution": "720p",
    })
    data = await download(api, detail["video_url"])
    assert_close(probe(data)["duration"], 1.2 + 3 + 1.2)  # 3 words (1.2 s), the pause, 3 words
    samples = pcm(data)
    said, pause, again = samples[: 16000], samples[int(1.6 * 16000) : int(3.8 * 16000)], samples[int(4.3 * 16000) :]
    assert rms(said) > 500 and rms(again) > 500, "both parts are spoken"
    assert rms(pause) < 50, "the pause is silent"


async def test_portrait_720p_and_a_ranged_download(api: httpx2.AsyncClient, clock: ManualClock) -> None:
    detail = await finished(api, clock, "/v3/videos", {
        "type": "avatar", "avatar_id": LOOK, "script": SHORT, "resolution": "720p", "aspect_ratio": "9:16",
    })
    data = await download(api, detail["video_url"])
    info = probe(data)
    assert (info["width"], info["height"]) == (720, 1280)
    assert_close(info["duration"], speech_seconds(SHORT))
    from PIL import Image

    thumb = await api.get(detail["thumbnail_url"])
    assert thumb.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.content)).size == (720, 1280)
    head = await api.head(detail["video_url"])
    assert int(head.headers["content-length"]) == len(data)
    part = await api.get(detail["video_url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]


async def test_long_and_short_scripts_last_as_long_as_they_read(api: httpx2.AsyncClient, clock: ManualClock) -> None:
    lengths = {}
    for name, script in (("short", SHORT), ("long", LONG)):
        detail = await finished(api, clock, "/v2/video/generate", {
            "video_inputs": [{
                "character": {"type": "avatar", "avatar_id": LOOK},
                "voice": {"type": "text", "voice_id": await voice_of(api), "input_text": script},
                "background": {"type": "color", "value": "#336699"},
            }],
            "dimension": {"width": 1280, "height": 720},
        })
        info = probe(await download(api, detail["video_url"]))
        assert (info["width"], info["height"]) == (1280, 720)
        assert_close(info["duration"], speech_seconds(script))
        lengths[name] = info["duration"]
    assert lengths["long"] > 5 * lengths["short"]


async def voice_of(api: httpx2.AsyncClient) -> str:
    look = (await api.get(f"/v3/avatars/looks/{LOOK}")).json()["data"]
    return str(look["default_voice_id"])


async def test_auto_aspect_ratio_follows_the_looks_orientation(api: httpx2.AsyncClient, clock: ManualClock) -> None:
    detail = await finished(api, clock, "/v3/videos", {
        "type": "avatar", "avatar_id": PORTRAIT_LOOK, "script": SHORT, "resolution": "720p", "aspect_ratio": "auto",
    })
    info = probe(await download(api, detail["video_url"]))
    assert (info["width"], info["height"]) == (720, 1280)


def test_sizes_by_resolution_and_aspect_ratio() -> None:
    assert dimensions(None, None) == (1920, 1080)  # HeyGen's defaults: 16:9, and 1080p here
    assert dimensions("16:9", "4k") == (3840, 2160)
    assert dimensions("9:16", "1080p") == (1080, 1920)
    assert dimensions("1:1", "720p") == (720, 720)
    assert dimensions("4:5", "1080p") == (1080, 1350)
    assert dimensions("5:4", "720p") == (900, 720)
    assert dimensions("auto", "1080p", (1080, 1920)) == (1080, 1920)
    assert dimensions("auto", "720p", (3000, 1000)) == (1280, 720)  # long edge capped at the tier's 16:9
    assert dimensions("auto", "720p", None) == (1280, 720)


async def test_a_script_longer_than_the_cap_is_cut_at_five_minutes(api: httpx2.AsyncClient, clock: ManualClock) -> None:
    script = "word " * 900  # 900 words: six minutes at 150 a minute
    detail = await finished(api, clock, "/v2/video/generate", {
        "video_inputs": [{"voice": {"type": "text", "voice_id": await voice_of(api), "input_text": script}}],
        "dimension": {"width": 320, "height": 180},
    })
    info = probe(await download(api, detail["video_url"]))
    assert detail["duration"] > MAX_SECONDS and abs(info["duration"] - MAX_SECONDS) < 1


async def test_renders_are_kept_beside_the_state_file(tmp_path: Path, clock: ManualClock) -> None:
    state_path = tmp_path / "state" / "sandbox.sqlite3"
    app = create_app(SandboxConfig(state_path=state_path), clock)
    wire = ContractTransport(httpx2.ASGITransport(app=app), load_contract())
    async with httpx2.AsyncClient(transport=wire, base_url=SANDBOX_BASE_URL, headers={"x-api-key": "k"}) as api:
        script = "Kept on disk for the next start, unique phrase forty two."
        detail = await finished(api, clock, "/v3/videos", {"type": "avatar", "avatar_id": LOOK, "script": script,
                                                           "resolution": "720p"})
        data = await download(api, detail["video_url"])
    app.state.sandbox.close()
    kept = list((state_path.parent / RENDERS_FOLDER).glob("*.mp4"))
    assert len(kept) == 1 and kept[0].read_bytes() == data
    assert wire.violations == []


async def test_without_the_render_extra_the_sample_clip_is_served(
    api: httpx2.AsyncClient, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # as if PyAV were not installed: ``import av`` fails
    from heygen_studio.sandbox import render
    from heygen_studio.sandbox.media import sample

    monkeypatch.setattr(render, "_warned", False)
    detail = await finished(api, clock, "/v3/videos", {"type": "avatar", "avatar_id": LOOK, "script": SHORT})
    data = await download(api, detail["video_url"])
    assert data == sample("sample.mp4")
    assert (probe(data)["width"], probe(data)["height"]) == (320, 180)
    assert "install the render extra" in caplog.text


# -- through the MCP server's download tool --------------------------------------------------------
async def test_download_video_tool_saves_the_requested_portrait_render(tmp_path: Path, clock: ManualClock) -> None:
    from mcp import Client

    from heygen_studio.server import create_server

    app = create_app(clock=clock)
    wire = ContractTransport(httpx2.ASGITransport(app=app), load_contract())
    settings = make_settings(tmp_path)
    async with Client(create_server(settings, transport=wire), raise_exceptions=True) as mcp:
        created = await mcp.call_tool("create_avatar_video", {
            "avatar_id": LOOK, "script": LONG, "aspect_ratio": "9:16", "resolution": "720p",
        })
        assert not created.is_error, created.content
        job = created.structured_content
        clock.advance(3600)
        saved = await mcp.call_tool("download_video", {"job_id": job["job_id"]})
        assert not saved.is_error, saved.content
    info = probe(Path(saved.structured_content["path"]).read_bytes())
    assert (info["width"], info["height"]) == (720, 1280)
    assert_close(info["duration"], speech_seconds(LONG))
    assert wire.violations == [], "contract violations:\n" + "\n".join(wire.violations)
