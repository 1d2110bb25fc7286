"""One walk through every public client method, over the contract-checking wire.

It proves two things at once: every method was exercised against the sandbox, and the set of
contract operations the client uses is exactly the one below, each request and response valid.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from contract import require_contract
from heygen_studio.core.models import (
    AssetUrl,
    CloneVoice,
    CreateAgentSession,
    CreateAvatarVideo,
    CreateDigitalTwin,
    CreateImageVideo,
    CreateLipsync,
    CreatePhotoAvatar,
    CreatePromptAvatar,
    CreateSpeech,
    CreateStudioVideoV2,
    CreateStudioVideoV3,
    CreateTranslation,
    CreateTranslationBatch,
    CreateVideoBatch,
    CreateWebhook,
    DesignVoice,
    GenerateFromTemplate,
    SendAgentMessage,
    StudioAvatarInput,
    StudioAvatarScene,
    UpdateWebhook,
    V2Scene,
    V2TextVoice,
)
from heygen_studio.core.resources._base import Resource
from heygen_studio.core.transfer import upload_file

pytestmark = pytest.mark.anyio
MEDIA = Path(__file__).resolve().parents[1] / "server" / "heygen_studio" / "sandbox" / "media"

OPERATIONS = {
    "createVideoAgentSession", "getVideoAgentSession", "listVideoAgentSessions", "listVideoAgentStyles",
    "sendVideoAgentMessage", "stopVideoAgentSession", "listVideoAgentSessionVideos",
    "createVideo", "getVideo", "listVideos", "deleteVideo", "listVideoStatuses", "generateStudioVideoV2",
    "uploadAsset", "createAssetUpload", "completeAssetUpload", "getAsset", "listAssets", "deleteAsset",
    "listAvatarGroups", "getAvatarGroup", "deleteAvatarGroup", "listAvatarLooks", "getAvatarLook",
    "updateAvatarLook", "deleteAvatarLook", "createAvatar", "createAvatarConsent",
    "listVoices", "getVoice", "designVoice", "createSpeech", "cloneVoice", "deleteVoice", "getCurrentUser",
    "createLipsync", "getLipsync", "listLipsyncs", "deleteLipsync",
    "listTemplates", "getTemplate", "generateFromTemplate", "listTemplatesV2", "getTemplateV2",
    "generateFromTemplateV2",
    "createVideoTranslation", "getVideoTranslation", "listVideoTranslations", "listVideoTranslationLanguages",
    "createVideoBatch", "getVideoBatch", "createVideoTranslationBatch", "getVideoTranslationBatch",
    "listWebhookEndpoints", "createWebhookEndpoint", "updateWebhookEndpoint", "deleteWebhookEndpoint",
    "rotateWebhookEndpointSecret", "listWebhookEventTypes", "listWebhookEvents",
}  # fmt: skip


def public_methods(hg: Any) -> set[str]:
    names = set()
    for attr, resource in vars(hg).items():
        if isinstance(resource, Resource):
            for name, _ in inspect.getmembers(type(resource), inspect.iscoroutinefunction):
                if not name.startswith("_"):
                    names.add(f"{attr}.{name}")
    return names


async def test_every_client_method_and_operation(hg: Any, wire: Any, clock: Any, tmp_path: Path) -> None:
    contract = require_contract()
    called: set[str] = set()

    def use(name: str) -> Any:
        resource, _, method = name.partition(".")
        called.add(name)
        return getattr(getattr(hg, resource), method)

    look = (await use("avatars.list_looks")(ownership="public", limit=5)).items[0]
    group = (await use("avatars.list_groups")(limit=2)).items[0]
    await use("avatars.get_group")(group.id)
    await use("avatars.get_look")(look.id)
    voice = (await use("voices.list")(limit=2)).items[0]
    await use("voices.get")(voice.voice_id)
    await use("voices.design")(DesignVoice(prompt="a calm narrator"))
    await use("voices.speech")(CreateSpeech(text="Hello.", voice_id=voice.voice_id))
    me = await use("account.me")()

    video = await use("videos.create")(CreateAvatarVideo(avatar_id=look.id, script="Hi.", voice_id=voice.voice_id))
    await use("videos.create")(CreateImageVideo(image=AssetUrl(url="https://example.com/a.jpg"), script="Hi.",
                                                voice_id=voice.voice_id))
    await use("videos.create")(CreateStudioVideoV3(scenes=[StudioAvatarScene(input=StudioAvatarInput(
        avatar_id=look.id, script="Hi.", voice_id=voice.voice_id))]))
    await use("videos.create_studio_v2")(CreateStudioVideoV2(video_inputs=[
        V2Scene(voice=V2TextVoice(voice_id=voice.voice_id, input_text="Hi."))]))
    await use("videos.get")(video.video_id)
    await use("videos.list")(limit=5)
    await use("videos.statuses")([video.video_id])

    session = await use("video_agents.create")(CreateAgentSession(prompt="Plan a video.", mode="chat"))
    await use("video_agents.get")(session.session_id)
    await use("video_agents.list")()
    await use("video_agents.styles")(limit=2)
    clock.advance(3600)
    await use("video_agents.send_message")(session.session_id, SendAgentMessage(message="Shorter."))
    await use("video_agents.videos")(session.session_id)
    await use("video_agents.stop")(session.session_id)

    small = tmp_path / "a.jpg"
    small.write_bytes((MEDIA / "sample.jpg").read_bytes())
    asset = await upload_file(hg, small)  # upload_multipart
    called.add("assets.upload_multipart")
    big = tmp_path / "b.mp4"
    with big.open("wb") as fh:
        fh.write((MEDIA / "sample.mp4").read_bytes()[:64])
        fh.truncate(40 * 1024 * 1024)
    await upload_file(hg, big)  # create_direct_upload + PUT + complete_direct_upload
    called |= {"assets.create_direct_upload", "assets.complete_direct_upload"}
    await use("assets.get")(asset.asset_id)
    await use("assets.list")(username=me.username)

    created = await use("avatars.create")(CreatePhotoAvatar(name="P", file=AssetUrl(url="https://example.com/p.jpg")))
    gid, lid = created.avatar_group["id"], created.avatar_item["id"]
    await use("avatars.consent")(gid)
    twin = await use("avatars.create")(CreateDigitalTwin(name="T", file=AssetUrl(url="https://example.com/t.mp4")))
    prompt = await use("avatars.create")(CreatePromptAvatar(name="L", prompt="in a suit", avatar_id=look.id))
    await use("avatars.rename_look")(lid, "Renamed")
    await use("avatars.delete_look")(prompt.avatar_item["id"])
    await use("avatars.delete_group")(twin.avatar_group["id"])

    template = (await use("templates.list")()).items[0]
    await use("templates.get")(template.id)
    await use("templates.generate")(template.id, GenerateFromTemplate(variables={}))
    v2 = (await use("templates.list_v2")())[0]
    await use("templates.get_v2")(v2.template_id)
    await use("templates.generate_v2")(v2.template_id, GenerateFromTemplate(variables={}))

    clone = await use("voices.clone")(CloneVoice(audio=AssetUrl(url="https://example.com/me.mp3"), voice_name="Me"))
    await use("voices.delete")(clone.voice_clone_id)
    lipsync = await use("lipsyncs.create")(CreateLipsync(video=AssetUrl(url="https://example.com/v.mp4"),
                                                         audio=AssetUrl(url="https://example.com/a.mp3")))
    await use("lipsyncs.get")(lipsync.lipsync_id)
    await use("lipsyncs.list")()
    await use("lipsyncs.delete")(lipsync.lipsync_id)

    language = (await use("translations.languages")())[0]
    translation = await use("translations.create")(CreateTranslation(video=AssetUrl(url="https://example.com/v.mp4"),
                                                                     output_languages=[language]))
    await use("translations.get")(translation.video_translation_ids[0])
    await use("translations.list")()
    sources = [CreateTranslation(video=AssetUrl(url=f"https://example.com/{n}.mp4"), output_languages=[language])
               for n in ("a", "b")]
    tbatch = await use("translations.create_batch")(CreateTranslationBatch(video_translations=sources))
    paged = await use("translations.get_batch")(tbatch.ident, page_size=1)  # two pages, joined
    assert [i.item_index for i in paged.items] == [0, 1] and not paged.has_more
    vbatch = await use("videos.create_batch")(CreateVideoBatch(videos=[
        CreateAvatarVideo(avatar_id=look.id, voice_id=voice.voice_id, script=s) for s in ("One.", "Two.")]))
    assert (await use("videos.get_batch")(vbatch.ident)).total_items == 2

    endpoint = await use("webhooks.create")(CreateWebhook(url="https://hooks.example.com/x"))
    await use("webhooks.update")(endpoint.endpoint_id, UpdateWebhook(events=["avatar_video.success"]))
    await use("webhooks.rotate_secret")(endpoint.endpoint_id)
    await use("webhooks.list")()
    await use("webhooks.event_types")()
    await use("webhooks.events")()
    await use("webhooks.delete")(endpoint.endpoint_id)
    await use("videos.delete")(video.video_id)
    await use("assets.delete")(asset.asset_id)

    assert called == public_methods(hg), "a client method is not exercised here"
    used = {contract.find(req.method, req.url.path).operation_id
            for req, _ in wire.exchanges if req.url.path.startswith(("/v2/", "/v3/"))}
    assert used == OPERATIONS
