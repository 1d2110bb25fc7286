"""The sandbox shows what was asked, everywhere (issue 18 §4): a model that checks its own output must not be
told it failed when it did not. Each test makes something through a real MCP client (or over HTTP to the
sandbox), reads the file it gets back with PyAV or Pillow (frames' colours at given times, duration, audio
level) and compares it with the request: studio scenes each on their own background, a talking photo that
shows the photo, speech that speaks the text for as long as the answer says, and the thumbnail, preview GIF,
subtitles, asset files, translations and lipsyncs of what was made.
"""

from __future__ import annotations

import base64
import io
import math
import re
from array import array
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client

from contract import ContractTransport, load_contract
from heygen_studio.sandbox import SANDBOX_BASE_URL, ManualClock, SandboxConfig, create_app
from heygen_studio.sandbox.costs import speech_seconds
from test_mcp_tools import call, look_and_voice

pytestmark = pytest.mark.anyio

RED, GREEN, BLUE = (0xC0, 0x20, 0x20), (0x20, 0xA0, 0x30), (0x20, 0x40, 0xC0)


def hex_of(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


# -- reading files back ------------------------------------------------------------------------------
def frames(data: bytes) -> list[tuple[float, Any]]:
    """Every decoded video frame of an MP4 as ``(seconds, PIL image)``."""
    import av

    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        return [(float(f.pts * f.time_base), f.to_image()) for f in container.decode(stream) if f.pts is not None]


def frame_at(shown: list[tuple[float, Any]], seconds: float) -> Any:
    """The picture on screen at ``seconds``."""
    return [image for at, image in shown if at <= seconds][-1]


def size_and_length(data: bytes) -> tuple[int, int, float]:
    import av

    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        assert container.duration is not None
        return video.width, video.height, container.duration / 1_000_000


def samples(data: bytes) -> array[int]:
    """The (first) audio track decoded to 16 kHz mono 16-bit samples."""
    import av

    out = array("h")
    with av.open(io.BytesIO(data)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        for frame in container.decode(container.streams.audio[0]):
            for piece in resampler.resample(frame):
                out.frombytes(bytes(piece.planes[0])[: piece.samples * 2])
    return out


def rms(values: Any) -> float:
    return math.sqrt(sum(v * v for v in values) / max(1, len(values)))


def level(pcm: array[int], start: float, end: float) -> float:
    """RMS of the 16 kHz samples between ``start`` and ``end`` seconds."""
    return rms(pcm[int(start * 16000) : int(end * 16000)])


def is_speech(pcm: array[int]) -> bool:
    """Speech comes in syllables and words: its loudness (in 50 ms windows) rises and falls, where a steady
    tone's does not."""
    windows = [rms(pcm[i : i + 800]) for i in range(0, len(pcm) - 800, 800)]
    loud = [w for w in windows if w > 50]
    if len(loud) < 4:
        return False
    mean = sum(loud) / len(loud)
    spread = math.sqrt(sum((w - mean) ** 2 for w in loud) / len(loud))
    quiet = sum(w < 0.1 * max(loud) for w in windows)
    return spread / mean > 0.3 and quiet >= 2


def near(pixel: tuple[int, ...], rgb: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], rgb, strict=True))


def photo(width: int, height: int) -> bytes:
    """A PNG with a red left half and a green right half: easy to find again in a frame."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), RED)
    ImageDraw.Draw(image).rectangle((width // 2, 0, width, height), fill=GREEN)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def shows_the_photo(picture: Any) -> bool:
    """The frame shows ``photo()``: red on the left, green on the right, above the caption."""
    w, h = picture.size
    return near(picture.getpixel((w // 4, h // 3)), RED) and near(picture.getpixel((3 * w // 4, h // 3)), GREEN)


# -- through the MCP server --------------------------------------------------------------------------
async def finished(mcp: Client, clock: ManualClock, job: dict[str, Any]) -> bytes:
    """Let the sandbox's clock pass the render, download the video with the tool and return its bytes."""
    clock.advance(3600)
    saved = await call(mcp, "download_video", {"job_id": job["job_id"]})
    return Path(saved["path"]).read_bytes()


async def detail_of(http: httpx2.AsyncClient, job: dict[str, Any]) -> dict[str, Any]:
    """The video's detail as the sandbox gives it (all its media URLs)."""
    got = await http.get(f"{SANDBOX_BASE_URL}/v3/videos/{job['video_id']}", headers={"x-api-key": "k"})
    detail: dict[str, Any] = got.json()["data"]
    return detail


@pytest.mark.parametrize("api", ["v2", "v3"])
async def test_studio_scenes_each_show_their_own_background_colour(mcp: Client, clock: ManualClock,
                                                                   api: str) -> None:
    look, voice = await look_and_voice(mcp)
    scripts = ["The first scene is red.", "The second scene is green.", "And the last one is blue."]
    scenes = [{"avatar_id": look, "voice_id": voice, "script": script, "background_color": hex_of(rgb)}
              for script, rgb in zip(scripts, (RED, GREEN, BLUE), strict=True)]
    job = await call(mcp, "create_studio_video", {"scenes": scenes, "resolution": "720p", "api": api})
    data = await finished(mcp, clock, job)
    width, height, length = size_and_length(data)
    assert (width, height) == (1280, 720)
    lengths = [speech_seconds(script) for script in scripts]
    assert abs(length - sum(lengths)) < 0.3
    shown = frames(data)
    start = 0.0
    for seconds, rgb in zip(lengths, (RED, GREEN, BLUE), strict=True):
        picture = frame_at(shown, start + seconds / 2)
        assert near(picture.getpixel((width - 20, height // 2)), rgb), (start, picture.getpixel((width - 20, 360)))
        start += seconds
    pcm = samples(data)
    for i, seconds in enumerate(lengths):  # every scene speaks its script
        begin = sum(lengths[:i])
        assert level(pcm, begin, begin + seconds) > 300


async def test_a_talking_photo_shows_the_photo_and_speaks(mcp: Client, clock: ManualClock, tmp_path: Path) -> None:
    _, voice = await look_and_voice(mcp)
    picture = tmp_path / "me.png"
    picture.write_bytes(photo(1280, 720))
    script = "This is my own photo, talking."
    job = await call(mcp, "create_avatar_video", {"image": str(picture), "script": script, "voice_id": voice,
                                                  "resolution": "720p"})
    data = await finished(mcp, clock, job)
    width, height, length = size_and_length(data)
    assert (width, height) == (1280, 720) and abs(length - speech_seconds(script)) < 0.3
    assert all(shows_the_photo(image) for _, image in frames(data))
    assert is_speech(samples(data))


async def test_auto_aspect_ratio_keeps_the_photos_shape(mcp: Client, clock: ManualClock, tmp_path: Path) -> None:
    _, voice = await look_and_voice(mcp)
    picture = tmp_path / "tall.png"
    picture.write_bytes(photo(600, 800))  # 3:4, portrait
    job = await call(mcp, "create_avatar_video", {"image": str(picture), "script": "Tall and narrow.",
                                                  "voice_id": voice, "resolution": "720p", "aspect_ratio": "auto"})
    data = await finished(mcp, clock, job)
    width, height, _ = size_and_length(data)
    assert (width, height) == (720, 960)
    assert shows_the_photo(frames(data)[0][1])


async def test_create_speech_speaks_the_text_for_as_long_as_it_says(mcp: Client) -> None:
    voice = (await call(mcp, "list_voices", {"language": "en", "engine": "starfish", "limit": 1}))["items"][0]
    said = {}
    for speed, text in ((1.0, "Our new office opens on the twelfth of May, right by the river."),
                        (1.5, "The same words, only faster than before, please.")):
        result = await mcp.call_tool("create_speech", {"text": text, "voice_id": voice["voice_id"], "speed": speed})
        assert not result.is_error, result.content
        out = result.structured_content
        stated = float(re.search(r"Saved ([0-9.]+) s of speech", result.content[0].text).group(1))  # type: ignore[union-attr]
        assert stated == out["duration_s"] == speech_seconds(text, speed)
        pcm = samples(Path(out["path"]).read_bytes())
        assert abs(len(pcm) / 16000 - stated) < 0.15, f"the file lasts {len(pcm) / 16000:.2f} s, not {stated} s"
        assert is_speech(pcm), "speech, not a tone"
        said[speed] = len(pcm) / 16000
    assert said[1.5] < said[1.0]


async def test_a_speech_asset_is_what_an_avatar_video_says(mcp: Client, clock: ManualClock, sandbox: Any) -> None:
    look, _ = await look_and_voice(mcp)
    voice = (await call(mcp, "list_voices", {"language": "en", "engine": "starfish", "limit": 1}))["items"][0]
    speech = await call(mcp, "create_speech", {"text": "Hello from a speech file.", "voice_id": voice["voice_id"]})
    job = await call(mcp, "create_avatar_video", {"avatar_id": look, "audio": speech["asset_id"],
                                                  "resolution": "720p"})
    data = await finished(mcp, clock, job)
    pcm = samples(data)
    spoken = speech["duration_s"]
    assert is_speech(pcm[: int(spoken * 16000)]), "the video plays the speech it was given"
    assert level(pcm, spoken + 0.3, len(pcm) / 16000) < 30, "and nothing else after it"
    assert abs(size_and_length(data)[2] - sandbox.videos[job["video_id"]].duration) < 0.3


async def test_thumbnail_preview_and_subtitles_follow_the_scenes(mcp: Client, clock: ManualClock,
                                                                 tmp_path: Path, wire: Any) -> None:
    from PIL import Image, ImageSequence

    look, voice = await look_and_voice(mcp)
    script = "Welcome to the second scene."
    scenes = [{"avatar_id": look, "voice_id": voice, "silence_s": 3, "background_color": hex_of(BLUE)},
              {"avatar_id": look, "voice_id": voice, "script": script, "background_color": hex_of(GREEN)}]
    job = await call(mcp, "create_studio_video", {"scenes": scenes, "resolution": "720p", "captions": True})
    clock.advance(3600)
    async with httpx2.AsyncClient(transport=wire) as http:
        detail = await detail_of(http, job)
        thumb = Image.open(io.BytesIO((await http.get(detail["thumbnail_url"])).content))
        gif = Image.open(io.BytesIO((await http.get(detail["gif_url"])).content))
        srt = (await http.get(detail["subtitle_url"])).text
    assert thumb.size == (1280, 720) and near(thumb.convert("RGB").getpixel((1260, 360)), BLUE)
    # the preview: each scene on its own colour, held as long as in the video
    held = [(f.info["duration"] / 1000, f.convert("RGB")) for f in ImageSequence.Iterator(gif)]
    assert max(gif.size) == 320
    assert abs(sum(seconds for seconds, _ in held) - (3 + speech_seconds(script))) < 0.3
    corner = [(s, image.getpixel((image.width - 4, image.height // 2))) for s, image in held]
    assert near(corner[0][1], BLUE, 40) and near(corner[-1][1], GREEN, 40)
    # the subtitles: the words, when they are said (after the silent scene)
    cues = re.findall(r"(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})\n(.+)", srt)
    assert [c[-1] for c in cues] == [script]
    h, m, s, ms = (int(x) for x in cues[0][:4])
    assert abs(h * 3600 + m * 60 + s + ms / 1000 - 3.0) < 0.05


# -- over HTTP to the sandbox -------------------------------------------------------------------------
@pytest.fixture
def clock_() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def api(clock_: ManualClock) -> AsyncIterator[httpx2.AsyncClient]:
    wire = ContractTransport(httpx2.ASGITransport(app=create_app(SandboxConfig(), clock_)), load_contract())
    async with httpx2.AsyncClient(transport=wire, base_url=SANDBOX_BASE_URL, headers={"x-api-key": "k"}) as c:
        yield c
    assert wire.violations == [], "contract violations:\n" + "\n".join(wire.violations)


async def made(api: httpx2.AsyncClient, clock: ManualClock, path: str, body: dict[str, Any]) -> dict[str, Any]:
    created = await api.post(path, json=body)
    assert created.status_code == 200, created.text
    data = created.json()["data"]
    clock.advance(3600)
    got = await api.get(f"/v3/videos/{data['video_id']}")
    detail: dict[str, Any] = got.json()["data"]
    assert detail["status"] == "completed"
    return detail


async def upload(api: httpx2.AsyncClient, data: bytes, name: str = "photo.png") -> dict[str, Any]:
    sent = await api.post("/v3/assets", files={"file": (name, data)})
    assert sent.status_code == 200, sent.text
    result: dict[str, Any] = sent.json()["data"]
    return result


async def voice_id(api: httpx2.AsyncClient) -> str:
    return str((await api.get("/v3/voices", params={"engine": "starfish", "limit": 1})).json()["data"][0]["voice_id"])


async def test_an_uploaded_assets_url_serves_what_was_uploaded(api: httpx2.AsyncClient) -> None:
    png = photo(64, 48)
    asset = await upload(api, png)
    got = await api.get(asset["url"])
    assert got.status_code == 200 and got.content == png and got.headers["content-type"] == "image/png"


@pytest.mark.parametrize("given", ["base64", "asset_url"])
async def test_an_image_video_shows_an_inline_or_linked_photo(api: httpx2.AsyncClient, clock_: ManualClock,
                                                              given: str) -> None:
    png = photo(640, 360)
    if given == "base64":
        image = {"type": "base64", "media_type": "image/png", "data": base64.b64encode(png).decode()}
    else:
        image = {"type": "url", "url": (await upload(api, png))["url"]}  # the sandbox's own asset URL
    detail = await made(api, clock_, "/v3/videos", {"type": "image", "image": image, "script": "A photo speaks.",
                                                   "voice_id": await voice_id(api), "resolution": "720p"})
    data = (await api.get(detail["video_url"])).content
    assert all(shows_the_photo(image) for _, image in frames(data))


async def test_a_studio_image_scene_and_a_short_colour(api: httpx2.AsyncClient, clock_: ManualClock) -> None:
    look = (await api.get("/v3/avatars/looks", params={"limit": 1})).json()["data"][0]
    asset = await upload(api, photo(1280, 720))
    detail = await made(api, clock_, "/v3/videos", {"type": "studio", "resolution": "720p", "scenes": [
        {"type": "avatar_video", "input": {"type": "avatar", "avatar_id": look["id"], "script": "Look at this.",
                                           "voice_id": look["default_voice_id"],
                                           "background": {"type": "color", "color": "#f00"}}},
        {"type": "image", "source": {"type": "asset_id", "asset_id": asset["asset_id"]}, "duration": 2},
    ]})
    data = (await api.get(detail["video_url"])).content
    shown = frames(data)
    first = speech_seconds("Look at this.")
    assert near(frame_at(shown, first / 2).getpixel((1260, 360)), (255, 0, 0))  # "#f00" is red
    assert shows_the_photo(frame_at(shown, first + 1))
    assert level(samples(data), first + 0.3, first + 2) < 30  # the image scene is silent


async def test_a_v2_image_background_is_behind_the_presenter(api: httpx2.AsyncClient, clock_: ManualClock) -> None:
    look = (await api.get("/v3/avatars/looks", params={"limit": 1})).json()["data"][0]
    asset = await upload(api, photo(1280, 720))
    detail = await made(api, clock_, "/v2/video/generate", {
        "video_inputs": [{
            "character": {"type": "avatar", "avatar_id": look["id"]},
            "voice": {"type": "text", "voice_id": look["default_voice_id"], "input_text": "In front of my photo."},
            "background": {"type": "image", "image_asset_id": asset["asset_id"]},
        }],
        "dimension": {"width": 640, "height": 360},
    })
    picture = frames((await api.get(detail["video_url"])).content)[0][1]
    assert near(picture.getpixel((20, 180)), RED) and near(picture.getpixel((620, 180)), GREEN)


async def test_a_speech_url_speaks_in_a_lipsync_and_a_translation_keeps_the_source(
    api: httpx2.AsyncClient, clock_: ManualClock
) -> None:
    look = (await api.get("/v3/avatars/looks", params={"limit": 1})).json()["data"][0]
    script = "A portrait video to translate and to dub."
    source = await made(api, clock_, "/v3/videos", {"type": "avatar", "avatar_id": look["id"], "script": script,
                                                   "resolution": "720p", "aspect_ratio": "9:16",
                                                   "background": {"type": "color", "value": hex_of(BLUE)}})
    # a translation: the source's size, pictures and length, spoken in the language asked for
    created = await api.post("/v3/video-translations", json={"video": {"type": "url", "url": source["video_url"]},
                                                            "output_languages": ["French (France)"]})
    assert created.status_code == 200, created.text
    translation_id = created.json()["data"]["video_translation_ids"][0]
    clock_.advance(3600)
    translated = (await api.get(f"/v3/video-translations/{translation_id}")).json()["data"]
    data = (await api.get(translated["video_url"])).content
    width, height, length = size_and_length(data)
    assert (width, height) == (720, 1280) and abs(length - source["duration"]) < 0.3
    assert near(frames(data)[0][1].getpixel((700, 640)), BLUE)
    assert is_speech(samples(data))
    audio = samples((await api.get(translated["audio_url"])).content)
    assert abs(len(audio) / 16000 - source["duration"]) < 0.3 and is_speech(audio)

    # a source the sandbox does not fetch: a card that says so, as long as the part asked for
    created = await api.post("/v3/video-translations", json={
        "video": {"type": "url", "url": "https://example.com/talk.mp4"}, "output_languages": ["German (Germany)"],
        "start_time": 10, "end_time": 13})
    clock_.advance(3600)
    other = (await api.get(f"/v3/video-translations/{created.json()['data']['video_translation_ids'][0]}")).json()
    width, height, length = size_and_length((await api.get(other["data"]["video_url"])).content)
    assert (width, height) == (1920, 1080) and abs(length - 3) < 0.2

    # a lipsync of that video to a speech: its pictures, the speech's words, as long as the speech
    said = (await api.post("/v3/voices/speech", json={"text": "New words for the same face, said here.",
                                                      "voice_id": await voice_id(api)})).json()["data"]
    dubbed = await api.post("/v3/lipsyncs", json={"video": {"type": "url", "url": source["video_url"]},
                                                 "audio": {"type": "url", "url": said["audio_url"]},
                                                 "enable_dynamic_duration": True})
    assert dubbed.status_code == 200, dubbed.text
    clock_.advance(3600)
    lipsync = (await api.get(f"/v3/lipsyncs/{dubbed.json()['data']['lipsync_id']}")).json()["data"]
    data = (await api.get(lipsync["video_url"])).content
    width, height, length = size_and_length(data)
    assert (width, height) == (720, 1280) and abs(length - said["duration"]) < 0.3
    assert near(frames(data)[0][1].getpixel((700, 640)), BLUE)
    assert is_speech(samples(data))


async def test_the_speech_file_is_the_one_the_answer_describes(api: httpx2.AsyncClient) -> None:
    text = "<speak>Before the pause. <break time=\"2s\"/> After the pause.</speak>"
    said = (await api.post("/v3/voices/speech", json={"text": text, "voice_id": await voice_id(api),
                                                      "input_type": "ssml"})).json()["data"]
    assert said["duration"] == speech_seconds(text)
    pcm = samples((await api.get(said["audio_url"])).content)
    assert abs(len(pcm) / 16000 - said["duration"]) < 0.15
    before = speech_seconds("Before the pause.")
    assert level(pcm, 0, before) > 300 and level(pcm, before + 0.4, before + 1.8) < 30
    assert level(pcm, before + 2, said["duration"]) > 300
    # the answer's word timestamps are when the file says them: the words after the pause come after it
    words = said["word_timestamps"]
    assert [w["word"] for w in words] == ["Before", "the", "pause.", "After", "the", "pause."]
    assert words[2]["end"] <= before + 0.01 and words[3]["start"] >= before + 2 - 0.01
    assert abs(words[-1]["end"] - said["duration"]) < 0.01


async def test_a_second_sandbox_on_the_same_state_shows_the_same_photo_and_scenes(tmp_path: Path) -> None:
    """Every MCP client window embeds its own sandbox over one state file: the one that renders a video may not
    be the one that took its upload, so the scenes and the uploaded bytes are kept on disk."""
    clock = ManualClock()
    state_path = tmp_path / "state" / "sandbox.sqlite3"
    first, second = (create_app(SandboxConfig(state_path=state_path), clock) for _ in range(2))
    try:
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=first), base_url=SANDBOX_BASE_URL,
                                      headers={"x-api-key": "k"}) as api:
            asset = await upload(api, photo(640, 360))
            look = (await api.get("/v3/avatars/looks", params={"limit": 1})).json()["data"][0]
            created = await api.post("/v3/videos", json={"type": "studio", "resolution": "720p", "scenes": [
                {"type": "image", "source": {"type": "asset_id", "asset_id": asset["asset_id"]}, "duration": 2},
                {"type": "avatar_video", "input": {"type": "avatar", "avatar_id": look["id"], "script": "Hi.",
                                                   "voice_id": look["default_voice_id"],
                                                   "background": {"type": "color", "color": hex_of(BLUE)}}},
            ]})
            video_id = created.json()["data"]["video_id"]
        clock.advance(3600)
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=second), base_url=SANDBOX_BASE_URL,
                                      headers={"x-api-key": "k"}) as api:
            detail = (await api.get(f"/v3/videos/{video_id}")).json()["data"]
            shown = frames((await api.get(detail["video_url"])).content)
    finally:
        first.state.sandbox.close()
        second.state.sandbox.close()
    assert shows_the_photo(frame_at(shown, 1.0))
    assert near(frame_at(shown, 2.5).getpixel((1260, 360)), BLUE)


async def test_without_the_render_extra_speech_is_the_sample_file(
    api: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from heygen_studio.sandbox.media import sample

    monkeypatch.setitem(sys.modules, "av", None)  # as if PyAV were not installed: ``import av`` fails
    said = (await api.post("/v3/voices/speech", json={"text": "No renderer here.",
                                                      "voice_id": await voice_id(api)})).json()["data"]
    assert (await api.get(said["audio_url"])).content == sample("sample.mp3")


async def test_a_photo_avatars_videos_and_preview_show_its_photo(clock_: ManualClock) -> None:
    app = create_app(SandboxConfig(photo_consent_required=False), clock_)
    wire = ContractTransport(httpx2.ASGITransport(app=app), load_contract())
    async with httpx2.AsyncClient(transport=wire, base_url=SANDBOX_BASE_URL, headers={"x-api-key": "k"}) as api:
        asset = await upload(api, photo(540, 960))  # 9:16, portrait
        created = await api.post("/v3/avatars", json={"type": "photo", "name": "Me", "file": {
            "type": "asset_id", "asset_id": asset["asset_id"]}})
        assert created.status_code == 200, created.text
        look = created.json()["data"]["avatar_item"]
        clock_.advance(3600)
        voice = await voice_id(api)
        v3 = await made(api, clock_, "/v3/videos", {"type": "avatar", "avatar_id": look["id"], "script": "It is me.",
                                                    "voice_id": voice, "resolution": "720p", "aspect_ratio": "auto"})
        v2 = await made(api, clock_, "/v2/video/generate", {"video_inputs": [{
            "character": {"type": "talking_photo", "talking_photo_id": look["id"]},
            "voice": {"type": "text", "voice_id": voice, "input_text": "It is me again."}}],
            "dimension": {"width": 360, "height": 640}})
        for detail, size in ((v3, (720, 1280)), (v2, (360, 640))):
            data = (await api.get(detail["video_url"])).content
            assert size_and_length(data)[:2] == size
            assert all(shows_the_photo(image) for _, image in frames(data))
        preview = (await api.get(f"/v3/avatars/looks/{look['id']}")).json()["data"]["preview_image_url"]
        assert (await api.get(preview)).content == photo(540, 960)
    assert wire.violations == []


async def test_voice_and_look_previews_are_the_voice_and_the_look(api: httpx2.AsyncClient) -> None:
    from PIL import Image

    voice = (await api.get("/v3/voices", params={"limit": 1})).json()["data"][0]
    heard = samples((await api.get(voice["preview_audio_url"])).content)
    assert is_speech(heard), "a voice's preview is the voice speaking, not a tone"
    assert abs(len(heard) / 16000 - speech_seconds(f"Hello, this is {voice['name']}.")) < 0.3
    look = (await api.get("/v3/avatars/looks", params={"limit": 1})).json()["data"][0]
    detail = (await api.get(f"/v3/avatars/looks/{look['id']}")).json()["data"]
    wide = detail["image_width"] >= detail["image_height"]
    picture = Image.open(io.BytesIO((await api.get(detail["preview_image_url"])).content))
    assert (picture.width >= picture.height) == wide and max(picture.size) == 640
    clip = (await api.get(detail["preview_video_url"])).content
    assert size_and_length(clip)[:2] == picture.size and is_speech(samples(clip))


@pytest.mark.parametrize("fit", [None, "contain", "cover"])
async def test_a_photo_of_another_shape_fits_as_asked(api: httpx2.AsyncClient, clock_: ManualClock,
                                                      fit: str | None) -> None:
    png = photo(540, 960)  # portrait, in a 16:9 frame
    body: dict[str, Any] = {"type": "image", "script": "Fitted.", "voice_id": await voice_id(api),
                            "image": {"type": "base64", "media_type": "image/png",
                                      "data": base64.b64encode(png).decode()},
                            "resolution": "720p", "background": {"type": "color", "value": hex_of(BLUE)}}
    if fit:
        body["fit"] = fit
    detail = await made(api, clock_, "/v3/videos", body)
    picture = frames((await api.get(detail["video_url"])).content)[0][1]
    if fit == "cover":  # the photo fills the frame: its left half on the left, its right half on the right
        assert shows_the_photo(picture)
    else:  # contain (also the choice for a portrait photo in a landscape frame): the background either side
        assert near(picture.getpixel((100, 300)), BLUE) and near(picture.getpixel((1180, 300)), BLUE)
        assert near(picture.getpixel((540, 300)), RED) and near(picture.getpixel((740, 300)), GREEN)


async def test_an_image_that_cannot_be_read_is_drawn_as_the_placeholder(api: httpx2.AsyncClient,
                                                                        clock_: ManualClock) -> None:
    from heygen_studio.sandbox.media import sample

    sound = base64.b64encode(sample("sample.mp3")).decode()
    not_an_image = {"type": "base64", "media_type": "image/png", "data": sound}
    detail = await made(api, clock_, "/v3/videos", {"type": "image", "image": not_an_image, "script": "Still here.",
                                                   "voice_id": await voice_id(api), "resolution": "720p"})
    picture = frames((await api.get(detail["video_url"])).content)[0][1]
    assert picture.getpixel((640, 200)) != picture.getpixel((20, 360))  # a figure in front of the background
