"""Typed request and response models for the HeyGen API (v3, plus the live v2 Studio/templates).

One module per API area, named as in ``core/resources/``; every name is re-exported here, so
``from heygen_studio.core.models import X`` works for any model.

* Request models are strict (``extra="forbid"``, enums, bounds): bad input fails here, before any
  request is sent or any credit spent. ``body()`` gives the JSON to send (``None`` fields left out).
* Response models tolerate unknown fields (the API drifts) and keep enum-like fields as plain
  strings where HeyGen may add values; missing required fields raise, and the client turns that
  into a ``ResponseFormatError`` that names the field.
"""

from __future__ import annotations

from .account import CurrentUser
from .assets import AssetDetail, UploadedAsset, UploadInstructions
from .avatars import (
    AvatarConsent,
    AvatarConsentRequest,
    AvatarGroup,
    AvatarLook,
    CreatedAvatar,
    CreateDigitalTwin,
    CreatePhotoAvatar,
    CreatePromptAvatar,
)
from .common import (
    MAX_AGENT_FILES,
    MAX_AGENT_PROMPT_CHARS,
    MAX_PROMPT_AVATAR_CHARS,
    MAX_SCRIPT_CHARS,
    MAX_STUDIO_SCENES,
    MULTIPART_LIMIT_BYTES,
    APIModel,
    AspectRatio,
    AssetBase64,
    AssetInput,
    AssetRef,
    AssetUrl,
    Deleted,
    EngineType,
    Expressiveness,
    Orientation,
    Page,
    RequestModel,
    Resolution,
    UrlOrAsset,
)
from .templates import GenerateFromTemplate, Template, V2Template
from .translations import CreatedTranslations, CreateTranslation, Translation
from .video_agents import (
    AgentMessage,
    AgentReply,
    AgentSession,
    AgentSessionSummary,
    AgentStyle,
    CreateAgentSession,
    SendAgentMessage,
)
from .videos import (
    Background,
    Caption,
    CreateAvatarVideo,
    CreatedVideo,
    CreateImageVideo,
    CreateStudioVideoV2,
    CreateStudioVideoV3,
    Engine,
    StatusEntry,
    StudioAvatarInput,
    StudioAvatarScene,
    StudioColor,
    StudioImageInput,
    StudioImageScene,
    StudioPlayback,
    StudioScene,
    StudioVideoScene,
    V2AudioVoice,
    V2AvatarCharacter,
    V2ColorBackground,
    V2Dimension,
    V2ImageBackground,
    V2Offset,
    V2Scene,
    V2SilenceVoice,
    V2TalkingPhotoCharacter,
    V2TextVoice,
    V2VideoBackground,
    Video,
    VoiceSettings,
)
from .voices import CreateSpeech, DesignedVoices, DesignVoice, Speech, Voice
from .webhooks import (
    WEBHOOK_EVENTS,
    CreateWebhook,
    RotatedSecret,
    UpdateWebhook,
    WebhookEndpoint,
    WebhookEvent,
    WebhookEventRecord,
    WebhookEventType,
)

__all__ = [
    "MAX_AGENT_FILES", "MAX_AGENT_PROMPT_CHARS", "MAX_PROMPT_AVATAR_CHARS", "MAX_SCRIPT_CHARS",
    "MAX_STUDIO_SCENES", "MULTIPART_LIMIT_BYTES", "WEBHOOK_EVENTS", "APIModel", "AgentMessage", "AgentReply",
    "AgentSession", "AgentSessionSummary", "AgentStyle", "AspectRatio", "AssetBase64", "AssetDetail",
    "AssetInput", "AssetRef", "AssetUrl", "AvatarConsent", "AvatarConsentRequest", "AvatarGroup", "AvatarLook",
    "Background", "Caption", "CreateAgentSession", "CreateAvatarVideo", "CreateDigitalTwin", "CreateImageVideo",
    "CreatePhotoAvatar", "CreatePromptAvatar", "CreateSpeech", "CreateStudioVideoV2", "CreateStudioVideoV3",
    "CreateTranslation", "CreateWebhook", "CreatedAvatar", "CreatedTranslations", "CreatedVideo", "CurrentUser",
    "Deleted", "DesignVoice", "DesignedVoices", "Engine", "EngineType", "Expressiveness",
    "GenerateFromTemplate", "Orientation", "Page", "RequestModel", "Resolution", "RotatedSecret",
    "SendAgentMessage", "Speech", "StatusEntry", "StudioAvatarInput", "StudioAvatarScene", "StudioColor",
    "StudioImageInput", "StudioImageScene", "StudioPlayback", "StudioScene", "StudioVideoScene", "Template",
    "Translation", "UpdateWebhook", "UploadInstructions", "UploadedAsset", "UrlOrAsset", "V2AudioVoice",
    "V2AvatarCharacter", "V2ColorBackground", "V2Dimension", "V2ImageBackground", "V2Offset", "V2Scene",
    "V2SilenceVoice", "V2TalkingPhotoCharacter", "V2Template", "V2TextVoice", "V2VideoBackground", "Video",
    "Voice", "VoiceSettings", "WebhookEndpoint", "WebhookEvent", "WebhookEventRecord", "WebhookEventType",
]
