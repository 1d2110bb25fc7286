"""Request models of the sandbox, one module per API area (pydantic v2, strict JSON), from the documented shapes.

Closed objects (unknown keys → 400 ``validation_error``): AssetUrl / AssetId / AssetBase64,
CreateVideoAgentSessionRequest, SendVideoAgentMessageRequest, the stop body, CreateSpeechRequest,
DesignVoiceRequest, CreateVideoTranslationRequest, Create/UpdateWebhookEndpointRequest. Everything
else is open (extra keys ignored), as HeyGen documents nothing stricter.

Discriminated unions use tags prefixed with ``~`` so error locations can drop them when they are
turned into HeyGen's dotted ``param`` (``scenes[0].input.avatar_id``).
"""
