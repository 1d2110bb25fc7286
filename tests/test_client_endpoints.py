"""Every HeyGen client method, exercised against the embedded sandbox.

The ``hg`` fixture routes the client through ``ContractTransport``: each request the client
sends and each response the sandbox returns is validated against the contract, and the fixture
fails the test on any violation.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from heygen_studio.core.errors import BadRequestError, NotFoundError
from heygen_studio.core.http import idempotency_key_for
from heygen_studio.core.models import (
    AssetRef,
    AssetUrl,
    AvatarConsentRequest,
    Background,
    Caption,
    CreateAgentSession,
    CreateAvatarVideo,
    CreateImageVideo,
    CreatePhotoAvatar,
    CreatePromptAvatar,
    CreateSpeech,
    CreateStudioVideoV2,
    CreateStudioVideoV3,
    CreateTranslation,
    CreateWebhook,
    DesignVoice,
    GenerateFromTemplate,
    SendAgentMessage,
    StudioAvatarInput,
    StudioAvatarScene,
    StudioColor,
    UpdateWebhook,
    V2AvatarCharacter,
    V2ColorBackground,
    V2Scene,
    V2TextVoice,
    VoiceSettings,
)
from heygen_studio.core.transfer import download, upload_file

pytestmark = pytest.mark.anyio
MEDIA = Path(__file__).resolve().parents[1] / "server" / "heygen_studio" / "sandbox" / "media"


async def first_look_and_voice(hg):
    look = (await hg.avatars.list_looks(ownership="public", limit=5)).items[0]
    voice = (await hg.voices.list(language="English", limit=5)).items[0]
    return look, voice


async def test_catalogue_reads(hg) -> None:
    groups = await hg.avatars.list_groups(ownership="public", limit=3)
    assert len(groups.items) == 3 and groups.has_more and groups.next_token
    nxt = await hg.avatars.list_groups(ownership="public", limit=3, token=groups.next_token)
    assert {g.id for g in nxt.items}.isdisjoint({g.id for g in groups.items})
    group = await hg.avatars.get_group(groups.items[0].id)
    assert group.id == groups.items[0].id
    looks = await hg.avatars.list_looks(group_id=group.id)
    assert looks.items and all(look.group_id in (None, group.id) for look in looks.items)
    look = await hg.avatars.get_look(looks.items[0].id)
    assert look.avatar_type in {"studio_avatar", "digital_twin", "photo_avatar"}

    voices = await hg.voices.list(language="German", limit=5)
    assert voices.items and all("German" in (v.language or "") for v in voices.items)
    voice = await hg.voices.get(voices.items[0].voice_id)
    assert voice.voice_id == voices.items[0].voice_id
    female = await hg.voices.list(gender="female", limit=10)
    assert female.items and all((v.gender or "").lower() == "female" for v in female.items)

    styles = await hg.video_agents.styles(limit=5)
    assert styles.items and styles.items[0].style_id
    me = await hg.account.me()
    assert me.username
    assert await hg.translations.languages()
    types = await hg.webhooks.event_types()
    assert any(t.event_type == "avatar_video.success" for t in types)


async def test_avatar_video_lifecycle(hg, clock, tmp_path: Path) -> None:
    look, voice = await first_look_and_voice(hg)
    req = CreateAvatarVideo(
        avatar_id=look.id, script="Hello from the sandbox.", voice_id=voice.voice_id, title="t1",
        voice_settings=VoiceSettings(speed=1.1), resolution="720p", aspect_ratio="16:9",
        background=Background(type="color", value="#112233"), caption=Caption(),
    )
    created = await hg.videos.create(req)
    assert created.video_id and not created.replayed
    video = await hg.videos.get(created.video_id)
    assert video.status in {"pending", "processing"}
    clock.advance(3600)
    video = await hg.videos.get(created.video_id)
    assert video.status == "completed" and video.video_url
    statuses = await hg.videos.statuses([created.video_id])
    assert statuses[0].status == "completed"
    listed = await hg.videos.list(limit=10)
    assert created.video_id in {v.id for v in listed.items}

    result = await download(hg.http.client, video.video_url, tmp_path / "out.mp4")
    data = result.path.read_bytes()
    assert data[4:8] == b"ftyp" and result.size == len(data)

    deleted = await hg.videos.delete(created.video_id)
    assert deleted.id in (None, created.video_id)
    with pytest.raises(NotFoundError):
        await hg.videos.get(created.video_id)


async def test_repeated_create_is_replayed_not_paid_twice(hg, sandbox) -> None:
    look, voice = await first_look_and_voice(hg)
    req = CreateAvatarVideo(avatar_id=look.id, script="Same body twice.", voice_id=voice.voice_id)
    credits_before = sandbox.credits
    first = await hg.videos.create(req)
    spent = credits_before - sandbox.credits
    second = await hg.videos.create(req)
    assert second.video_id == first.video_id and second.replayed
    assert credits_before - sandbox.credits == spent  # charged once
    third = await hg.videos.create(req, request_key="take-2")
    assert third.video_id != first.video_id


async def test_image_and_studio_v3_videos(hg, clock) -> None:
    look, voice = await first_look_and_voice(hg)
    image = await hg.videos.create(CreateImageVideo(
        image=AssetUrl(url="https://example.com/face.jpg"), script="I am a photo.", voice_id=voice.voice_id,
        expressiveness="high", motion_prompt="nods gently",
    ))
    studio = await hg.videos.create(CreateStudioVideoV3(scenes=[
        StudioAvatarScene(input=StudioAvatarInput(avatar_id=look.id, script="Scene one.", voice_id=voice.voice_id,
                                                  background=StudioColor(color="#000000"))),
        StudioAvatarScene(input=StudioAvatarInput(avatar_id=look.id, script="Scene two.", voice_id=voice.voice_id)),
    ], title="studio v3"))
    clock.advance(3600)
    for vid in (image.video_id, studio.video_id):
        assert (await hg.videos.get(vid)).status == "completed"


async def test_studio_v2_video(hg, clock, sandbox) -> None:
    look, voice = await first_look_and_voice(hg)
    req = CreateStudioVideoV2(video_inputs=[
        V2Scene(character=V2AvatarCharacter(avatar_id=look.id),
                voice=V2TextVoice(voice_id=voice.voice_id, input_text="First scene."),
                background=V2ColorBackground(value="#ffffff")),
        V2Scene(character=V2AvatarCharacter(avatar_id=look.id, avatar_style="closeUp"),
                voice=V2TextVoice(voice_id=voice.voice_id, input_text="Second scene.")),
    ], title="v2 studio")
    created = await hg.videos.create_studio_v2(req)
    posts = [r for r in sandbox.requests if r.path == "/v2/video/generate"]
    assert len(posts) == 1
    again = await hg.videos.create_studio_v2(req)  # the job store stands in for an idempotency key
    assert again.video_id == created.video_id and again.replayed
    assert len([r for r in sandbox.requests if r.path == "/v2/video/generate"]) == 1
    clock.advance(3600)
    assert (await hg.videos.get(created.video_id)).status == "completed"
    assert hg.jobs.get(created.video_id).get("api") == "v2"


async def test_video_agent_session(hg, clock) -> None:
    session = await hg.video_agents.create(CreateAgentSession(prompt="A 20 second intro to our product.",
                                                              orientation="landscape"))
    got = await hg.video_agents.get(session.session_id)
    assert got.status in {"thinking", "generating"}
    clock.advance(3600)
    got = await hg.video_agents.get(session.session_id)
    assert got.status == "completed" and got.video_id
    assert (await hg.videos.get(got.video_id)).status == "completed"
    videos = await hg.video_agents.videos(session.session_id)
    assert got.video_id in {v.id for v in videos.items}
    sessions = await hg.video_agents.list(limit=5)
    assert session.session_id in {s.session_id for s in sessions.items}

    chat = await hg.video_agents.create(CreateAgentSession(prompt="Let's plan a video together.", mode="chat"))
    clock.advance(3600)  # the agent finishes its turn before it takes the next message
    reply = await hg.video_agents.send_message(chat.session_id, SendAgentMessage(message="Make it upbeat."))
    assert reply.session_id == chat.session_id and reply.run_id
    assert await hg.video_agents.stop(chat.session_id) == chat.session_id


async def test_assets(hg, tmp_path: Path) -> None:
    src = tmp_path / "notes.bin"  # the name says nothing; the content is a JPEG
    src.write_bytes((MEDIA / "sample.jpg").read_bytes())
    asset = await upload_file(hg, src)
    assert asset.mime_type == "image/jpeg" and asset.size_bytes == src.stat().st_size
    detail = await hg.assets.get(asset.asset_id)
    assert detail.id == asset.asset_id
    me = await hg.account.me()
    listed = await hg.assets.list(username=me.username)
    assert asset.asset_id in {a.id for a in listed.items}
    await hg.assets.delete(asset.asset_id)
    with pytest.raises(NotFoundError):
        await hg.assets.get(asset.asset_id)


async def test_direct_upload_streams_large_file(hg, sandbox, tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    with big.open("wb") as fh:  # a sparse file that starts like an MP4
        fh.write((MEDIA / "sample.mp4").read_bytes()[:64])
        fh.truncate(33 * 1024 * 1024)
    asset = await upload_file(hg, big)
    assert asset.mime_type == "video/mp4" and asset.size_bytes == big.stat().st_size
    paths = [r.path for r in sandbox.requests]
    assert "/v3/assets/direct-uploads" in paths and f"/v3/assets/{asset.asset_id}/complete" in paths
    assert "/v3/assets" not in paths  # not multipart
    put = next(r for r in sandbox.requests if r.method == "PUT")
    assert "x-api-key" not in {k.lower() for k in put.headers}  # the key never goes to upload hosts


async def test_photo_avatar_with_consent_and_looks(hg, clock, sandbox) -> None:
    created = await hg.avatars.create(CreatePhotoAvatar(name="Me", file=AssetUrl(url="https://example.com/me.jpg")))
    group_id = created.avatar_group["id"]
    look_id = created.avatar_item["id"]
    clock.advance(3600)
    group = await hg.avatars.get_group(group_id)
    assert group.status == "pending_consent"
    consent = await hg.avatars.consent(group_id, AvatarConsentRequest())
    assert consent.url
    await hg.http.client.get(consent.url)  # the person approves in a browser
    clock.advance(3600)
    assert (await hg.avatars.get_look(look_id)).status == "completed"

    prompt = await hg.avatars.create(CreatePromptAvatar(name="Suit", prompt="wearing a navy suit", avatar_id=look_id))
    assert prompt.avatar_item["id"] != look_id
    renamed = await hg.avatars.rename_look(look_id, "Me, studio")
    assert renamed.name == "Me, studio"
    await hg.avatars.delete_look(prompt.avatar_item["id"])
    await hg.avatars.delete_group(group_id)
    with pytest.raises(NotFoundError):
        await hg.avatars.get_group(group_id)


async def test_voices_design_and_speech(hg) -> None:
    designed = await hg.voices.design(DesignVoice(prompt="warm, confident narrator"))
    assert 1 <= len(designed.voices) <= 3
    voice = (await hg.voices.list(limit=1)).items[0]
    speech = await hg.voices.speech(CreateSpeech(text="Testing one two.", voice_id=voice.voice_id))
    assert speech.audio_url.startswith("http") and speech.duration > 0


async def test_templates_v3_and_v2(hg, clock) -> None:
    templates = await hg.templates.list()
    detail = await hg.templates.get(templates.items[0].id)
    assert isinstance(detail.variables, dict)
    video = await hg.templates.generate(detail.id, GenerateFromTemplate(variables={}, title="from template"))
    assert video.id
    v2 = await hg.templates.list_v2()
    assert v2 and v2[0].template_id
    v2_detail = await hg.templates.get_v2(v2[0].template_id)
    assert "variables" in v2_detail
    created = await hg.templates.generate_v2(v2[0].template_id, GenerateFromTemplate(variables={}))
    clock.advance(3600)
    assert (await hg.videos.get(created.video_id)).status == "completed"


async def test_translations(hg, clock, tmp_path: Path) -> None:
    created = await hg.translations.create(CreateTranslation(
        video=AssetUrl(url="https://example.com/talk.mp4"), output_languages=["Spanish (Spain)", "German (Germany)"],
        title="talk"))
    assert len(created.video_translation_ids) == 2
    first = await hg.translations.get(created.video_translation_ids[0])
    assert first.status in {"pending", "running"}
    clock.advance(3600)
    first = await hg.translations.get(created.video_translation_ids[0])
    assert first.status == "completed" and first.video_url
    listed = await hg.translations.list()
    assert set(created.video_translation_ids) <= {t.id for t in listed.items}
    with pytest.raises(BadRequestError):
        await hg.translations.create(CreateTranslation(video=AssetRef(asset_id="missing-asset"),
                                                       output_languages=["French (France)"]))
    clip = tmp_path / "clip.mp4"
    clip.write_bytes((MEDIA / "sample.mp4").read_bytes())
    asset = await upload_file(hg, clip)
    with_asset = await hg.translations.create(CreateTranslation(video=AssetRef(asset_id=asset.asset_id),
                                                                output_languages=["French (France)"]))
    assert with_asset.video_translation_ids


async def test_webhooks_crud(hg) -> None:
    endpoint = await hg.webhooks.create(CreateWebhook(url="https://hooks.example.com/heygen",
                                                      events=["avatar_video.success"]))
    assert endpoint.secret and endpoint.secret.startswith("whsec_")
    updated = await hg.webhooks.update(endpoint.endpoint_id, UpdateWebhook(events=["avatar_video.fail"]))
    assert updated.events == ["avatar_video.fail"]
    rotated = await hg.webhooks.rotate_secret(endpoint.endpoint_id)
    assert rotated.secret != endpoint.secret
    listed = await hg.webhooks.list()
    assert endpoint.endpoint_id in {e.endpoint_id for e in listed.items}
    await hg.webhooks.events(limit=5)
    await hg.webhooks.delete(endpoint.endpoint_id)
    assert endpoint.endpoint_id not in {e.endpoint_id for e in (await hg.webhooks.list()).items}


async def test_job_store_remembers_every_submitted_job(hg, tmp_path: Path) -> None:
    look, voice = await first_look_and_voice(hg)
    created = await hg.videos.create(CreateAvatarVideo(avatar_id=look.id, script="Remember me.",
                                                       voice_id=voice.voice_id, title="journal"))
    with sqlite3.connect(tmp_path / "jobs.sqlite3") as db:  # another process reads the same file
        kind, state, data = db.execute("SELECT kind, state, data FROM jobs WHERE job_id = ?",
                                       (created.video_id,)).fetchone()
    assert (kind, state) == ("video", "submitted")
    assert json.loads(data)["expected_s"] == 60.0  # two words: the one-minute floor of the render estimate
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("jobs.sqlite3*"))
    assert b"test-key" not in raw


async def test_journal_keeps_the_idempotency_key_that_was_sent(hg, sandbox) -> None:
    """The HTTP layer computes a write's key once and returns it; the journal stores that very key,
    whose value stays today's recipe (journal files written before depend on it)."""
    look, voice = await first_look_and_voice(hg)
    req = CreateAvatarVideo(avatar_id=look.id, script="Key once.", voice_id=voice.voice_id)
    created = await hg.videos.create(req, request_key="take-1")
    sent = [r.headers.get("idempotency-key") for r in sandbox.requests if r.method == "POST" and r.path == "/v3/videos"]
    assert sent == [idempotency_key_for("POST", "/v3/videos", req.body(), "take-1")]
    assert hg.jobs.get(created.video_id).fingerprint == sent[0]
    translation = CreateTranslation(video=AssetUrl(url="https://example.com/t.mp4"),
                                    output_languages=["Spanish (Spain)"])
    made = await hg.translations.create(translation, identity={"video": "stable"})
    key = idempotency_key_for("POST", "/v3/video-translations", {"video": "stable"}, None)
    assert hg.jobs.get(made.video_translation_ids[0]).fingerprint == key  # the request's claim: its first job
    # the recipe itself, as journals written by earlier versions hold it
    assert idempotency_key_for("POST", "/v3/videos", {"script": "Hi", "voice_id": "v1"}, "take-1") == (
        "hs-8fb8c8f62b163bda18d26cc24f4565162bb334a0c2545e56")


def test_job_store_survives_restarts(tmp_path: Path) -> None:
    from heygen_studio.core.store import Scope, SQLiteJobStore

    scope = Scope.of("https://api.heygen.com", "k")
    SQLiteJobStore(tmp_path / "jobs.sqlite3").record(scope, kind="video", job_id="v1", fingerprint="k1", title="first")
    later = SQLiteJobStore(tmp_path / "jobs.sqlite3")  # a restart
    assert later.get(scope, "v1").title == "first" and later.find(scope, "k1").job_id == "v1"
    later.record(scope, kind="video", job_id="v2", fingerprint="k2", title="second")
    assert [e.job_id for e in SQLiteJobStore(tmp_path / "jobs.sqlite3").recent(scope)] == ["v2", "v1"]
