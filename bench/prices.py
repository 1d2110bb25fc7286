"""Estimate vs charge (issue #14 §2): for each priced route, what the server estimated and what the embedded
sandbox (which charges from the same price table) took from its wallet, side by side. They should be equal to
the cent; a row marked ≠ is a finding.

Run: .venv/bin/python bench/prices.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client

from heygen_studio.sandbox import ManualClock, create_app
from heygen_studio.server import create_server
from heygen_studio.settings import Settings

SCRIPT = "Welcome to the team. In the next minute I will show you where everything lives. " * 4
MEDIA = Path(__file__).resolve().parents[1] / "server" / "heygen_studio" / "sandbox" / "media"


async def call(mcp: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await mcp.call_tool(tool, args)
    if result.is_error:
        raise SystemExit(f"{tool}: {result.content[0].text}")
    return result.structured_content or {}


async def main() -> int:
    clock = ManualClock()
    app = create_app(clock=clock)
    sandbox = app.state.sandbox
    folder = Path(tempfile.mkdtemp(prefix="heygen-prices-"))
    (folder / "me.jpg").write_bytes((MEDIA / "sample.jpg").read_bytes())
    settings = Settings(_env_file=None, heygen_sandbox=True, heygen_toolsets="all", heygen_confirm_above=None,
                        heygen_output_dir=folder / "out", heygen_allowed_dirs=[folder], heygen_state_dir=folder)
    async with Client(create_server(settings, transport=httpx2.ASGITransport(app=app))) as mcp:
        look = (await call(mcp, "list_avatars", {"limit": 1}))["items"][0]["id"]
        voice = (await call(mcp, "list_voices", {"language": "en", "limit": 1}))["items"][0]["voice_id"]
        starfish = (await call(mcp, "list_voices", {"engine": "starfish", "limit": 1}))["items"][0]["voice_id"]
        made = await call(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Source."})
        clock.advance(3600)  # the source video is done: its length is known
        template = (await call(mcp, "list_templates", {}))["items"][0]["template_id"]
        chat = await call(mcp, "create_agent_video", {"prompt": "A short welcome video", "mode": "chat"})
        clock.advance(3600)  # its first run is done: it takes a reply
        routes: list[tuple[str, str, dict[str, Any]]] = [
            ("avatar video 1080p", "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": SCRIPT}),
            ("avatar video 4K", "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": SCRIPT,
                                                        "resolution": "4k"}),
            ("avatar video, Avatar III", "create_avatar_video", {"avatar_id": look, "voice_id": voice,
                                                                 "script": SCRIPT, "engine": "avatar_iii"}),
            ("Studio video (v2)", "create_studio_video", {"scenes": [
                {"avatar_id": look, "voice_id": voice, "script": SCRIPT},
                {"avatar_id": look, "voice_id": voice, "script": "Questions? Ask the team."}]}),
            ("template video", "create_template_video", {"template_id": template, "variables": {}}),
            ("Video Agent", "create_agent_video", {"prompt": "A 45-second welcome video for new engineers."}),
            ("translation, speed", "translate_video",
             {"video": made["job_id"], "languages": ["German", "French (France)"]}),
            ("translation, precision", "translate_video",
             {"video": made["job_id"], "languages": ["Spanish (Spain)"], "mode": "precision"}),
            ("speech", "create_speech", {"text": SCRIPT, "voice_id": starfish}),
            ("photo avatar", "create_photo_avatar", {"photo": str(folder / "me.jpg"), "name": "Me"}),
            ("lipsync (speed)", "create_lipsync", {"video": made["job_id"], "audio": "https://example.com/a.mp3"}),
            ("voice clone", "clone_voice", {"audio": "https://example.com/s.mp3", "name": "Me",
                                            "speaker_consent": True}),
            ("agent reply", "reply_to_agent", {"session_id": chat["job_id"], "message": "Make it a 2-minute video."}),
        ]
        print(f"{'route':28} {'estimate':>10} {'charged':>10}")
        unequal = 0
        for label, tool, args in routes:
            before = sandbox.credits
            result = await call(mcp, tool, args)
            charged = round(before - sandbox.credits, 4)
            estimate = result.get("estimated_usd") or 0.0
            same = round(estimate, 2) == round(charged, 2)
            unequal += not same
            print(f"{label:28} {f'${estimate:.4f}':>10} {f'${charged:.4f}':>10} {'=' if same else '≠'}")
    print(f"{len(routes) - unequal} of {len(routes)} routes equal to the cent")
    return 1 if unequal else 0


if __name__ == "__main__":
    sys.exit(anyio.run(main))
