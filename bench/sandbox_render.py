"""Time one sandbox render and print its wall and CPU seconds, peak RSS and file size.

Default: a 1080p 16:9 avatar video of a 75-word script (30 s at 150 words a minute), rendered through the
sandbox's HTTP API (create → clock past the render → download), so it measures what a first download
costs; the second download of the same video is served from the cache.
Run: .venv/bin/python bench/sandbox_render.py [seconds] [WIDTHxHEIGHT]
"""

from __future__ import annotations

import resource
import sys
import time

import anyio
import httpx2

from heygen_studio.sandbox import SANDBOX_BASE_URL, ManualClock, create_app
from heygen_studio.sandbox.render import missing

SENTENCE = "our quarterly update covers revenue hiring and the product roadmap for the coming months"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main(seconds: float, width: int, height: int) -> None:
    reason = missing()
    if reason is not None:
        sys.exit(f"the render extra is not installed ({reason}): pip install -e '.[render]'")
    words = round(seconds * 2.5)
    script = " ".join(SENTENCE.split()[i % 14] for i in range(words)) + "."
    clock = ManualClock()
    app = create_app(clock=clock)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url=SANDBOX_BASE_URL, headers={"x-api-key": "k"}) as api:
        look = (await api.get("/v3/avatars/looks", params={"limit": 1})).json()["data"][0]
        created = await api.post("/v2/video/generate", json={
            "video_inputs": [{
                "character": {"type": "avatar", "avatar_id": look["id"]},
                "voice": {"type": "text", "voice_id": look["default_voice_id"], "input_text": script},
            }],
            "dimension": {"width": width, "height": height},
        })
        video_id = created.json()["data"]["video_id"]
        clock.advance(3600)
        url = (await api.get(f"/v3/videos/{video_id}")).json()["data"]["video_url"]
        baseline, cpu = peak_rss_mb(), cpu_seconds()
        started = time.perf_counter()
        data = (await api.get(url)).content
        wall, used = time.perf_counter() - started, cpu_seconds() - cpu
        started = time.perf_counter()
        again = (await api.get(url)).content
        cached = time.perf_counter() - started
    assert again == data and data[4:8] == b"ftyp"
    print(f"render {width}x{height}, {seconds:g} s of video ({words} words)")
    print(f"  first download (render): {wall:.2f} s wall, {used:.2f} s CPU")
    print(f"  second download (cached): {cached * 1000:.1f} ms")
    print(f"  peak RSS: {peak_rss_mb():.0f} MB (+{peak_rss_mb() - baseline:.0f} MB while rendering)")
    print(f"  file: {len(data) / 1e6:.2f} MB")


if __name__ == "__main__":
    length = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    size = sys.argv[2] if len(sys.argv) > 2 else "1920x1080"
    w, h = (int(part) for part in size.lower().split("x"))
    anyio.run(main, length, w, h)
