"""Studio on v3 per the 2026-07-23 contract (issue 9 §5): narrated video scenes, no image-animating input.

Through an MCP client against the sandbox; the ``mcp`` fixture fails on any contract violation, and the
sandbox's request log shows what was (and was not) sent.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from test_mcp_tools import MEDIA, call, error, look_and_voice, upstream

pytestmark = pytest.mark.anyio


async def clip_asset(mcp: Client, tmp_path: Path) -> str:
    clip = tmp_path / "clip.mp4"
    shutil.copy(MEDIA / "sample.mp4", clip)
    return str((await call(mcp, "upload_asset", {"path": str(clip)}))["asset_id"])


async def test_v3_studio_video_with_a_narrated_video_scene_end_to_end(mcp: Client, sandbox: Any, clock: Any,
                                                                      tmp_path: Path) -> None:
    look, voice = await look_and_voice(mcp)
    clip = await clip_asset(mcp, tmp_path)
    scenes = [
        {"avatar_id": look, "voice_id": voice, "script": "Here is the new dashboard.", "background_color": "#0F172A"},
        {"background_video": clip, "voice_id": voice, "script": "Filters sit on the left.", "voice_speed": 1.1},
        {"background_video": "https://example.com/outro.mp4", "audio": "https://example.com/outro.mp3"},
        {"background_video": clip, "silence_s": 3},  # a clip with its own sound, no voiceover
    ]
    job = await call(mcp, "create_studio_video", {"scenes": scenes, "api": "v3", "title": "Dashboard tour"})
    assert job["api"] == "v3" and job["job_id"].startswith("video:")
    (sent,) = upstream(sandbox, "POST", "/v3/videos")
    body = sent.json
    assert body["type"] == "studio" and [s["type"] for s in body["scenes"]] == ["avatar_video", "video", "video",
                                                                                 "video"]
    assert body["scenes"][1] == {"type": "video", "source": {"type": "asset_id", "asset_id": clip},
                                 "script": "Filters sit on the left.", "voice_id": voice,
                                 "voice_settings": {"speed": 1.1}}
    assert body["scenes"][2] == {"type": "video", "source": {"type": "url", "url": "https://example.com/outro.mp4"},
                                 "audio_url": "https://example.com/outro.mp3"}
    assert body["scenes"][3] == {"type": "video", "source": {"type": "asset_id", "asset_id": clip}}

    again = await call(mcp, "create_studio_video", {"scenes": scenes, "api": "v3", "title": "Dashboard tour"})
    assert again["video_id"] == job["video_id"] and again["replayed"]  # the Idempotency-Key replays it

    clock.advance(3600)
    status = await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 5})
    assert status["done"] and status["status"] == "completed"
    saved = await call(mcp, "download_video", {"job_id": job["job_id"]})
    assert Path(saved["path"]).read_bytes()[4:8] == b"ftyp"


async def test_speech_over_a_background_video_is_no_longer_a_v3_gap(mcp: Client, sandbox: Any) -> None:
    look, voice = await look_and_voice(mcp)
    sandbox.faults.inject("POST", "/v2/video/generate", "retired", times=5)
    scenes = [{"avatar_id": look, "voice_id": voice, "script": "Welcome."},
              {"background_video": "https://example.com/b-roll.mp4", "voice_id": voice, "script": "Our new office."}]
    job = await call(mcp, "create_studio_video", {"scenes": scenes})
    assert job["api"] == "v3" and "retired" in job["note"]  # v2 retired: nothing lost, so resent to v3
    assert upstream(sandbox, "POST", "/v3/videos")[0].json["scenes"][1]["script"] == "Our new office."
    # What v3 still cannot express is still refused with reasons, before anything is sent.
    behind = [{"avatar_id": look, "voice_id": voice, "script": "Hi.", "background_video": "https://example.com/b.mp4"}]
    text = await error(mcp, "create_studio_video", {"scenes": behind, "api": "v3"})
    assert "scene 1: an image/video background behind a presenter" in text and "api='v2'" in text
    assert len(upstream(sandbox, "POST", "/v3/videos")) == 1


@pytest.mark.parametrize("api", ["v3", "v2"])
async def test_an_image_input_scene_is_refused_before_sending_with_the_photo_avatar_step(
        mcp: Client, sandbox: Any, api: str) -> None:
    look, voice = await look_and_voice(mcp)
    before = len(sandbox.requests)
    scenes = [{"avatar_id": look, "voice_id": voice, "script": "Hi."},
              {"image": "https://example.com/grandpa.jpg", "voice_id": voice, "script": "I was painted in 1890."}]
    text = await error(mcp, "create_studio_video", {"scenes": scenes, "api": api})
    assert "scenes.1" in text and "no longer animate an image" in text
    assert "create_photo_avatar" in text and "avatar_id" in text and "Nothing was sent" in text
    assert sandbox.requests[before:] == []


async def test_a_photo_avatar_look_is_the_v3_talking_photo(mcp: Client, sandbox: Any) -> None:
    _, voice = await look_and_voice(mcp)
    photo = (await call(mcp, "list_avatars", {"avatar_type": "photo_avatar", "limit": 1}))["items"][0]["id"]
    scenes = [{"talking_photo_id": photo, "voice_id": voice, "script": "A talking photo, on v3."}]
    await call(mcp, "create_studio_video", {"scenes": scenes, "api": "v3"})
    scene = upstream(sandbox, "POST", "/v3/videos")[0].json["scenes"][0]
    assert scene == {"type": "avatar_video", "input": {"type": "avatar", "avatar_id": photo, "voice_id": voice,
                                                       "script": "A talking photo, on v3."}}
