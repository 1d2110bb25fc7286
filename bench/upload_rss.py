"""Upload a generated 1 GiB sparse file to the sandbox and print the client's peak RSS growth.

The sandbox runs as a separate process on a loopback port (real sockets), so the figure is the
client's own memory: the direct-upload path streams from disk in 1 MiB chunks.
Target (issue #2): growth under 64 MB.    Run: .venv/bin/python bench/upload_rss.py [size_mib]
"""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

from heygen_studio.core.client import HeyGenClient
from heygen_studio.core.transfer import upload_file

MP4_HEAD = (Path(__file__).resolve().parents[1] / "server/heygen_studio/sandbox/media/sample.mp4").read_bytes()[:64]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def upload(port: int, path: Path) -> tuple[str, float]:
    async with HeyGenClient(api_key="bench-key", base_url=f"http://127.0.0.1:{port}", max_retries=0) as hg:
        await hg.account.me()  # warm the connection pool and imports before the baseline
        baseline = peak_rss_mb()
        started = time.perf_counter()
        asset = await upload_file(hg, path)
        elapsed = time.perf_counter() - started
        assert asset.size_bytes == path.stat().st_size, asset
        return f"{baseline:.1f}", elapsed


def main() -> None:
    size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "heygen_studio", "sandbox", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "big.mp4"
            with path.open("wb") as fh:
                fh.write(MP4_HEAD)
                fh.truncate(size_mib * 1024 * 1024)
            baseline, elapsed = anyio.run(upload, port, path)
            peak = peak_rss_mb()
            growth = peak - float(baseline)
            print(f"upload of {size_mib} MiB (direct upload, streamed): {elapsed:.1f} s, "
                  f"{size_mib / elapsed:.0f} MiB/s")
            print(f"client peak RSS: baseline {baseline} MB, peak {peak:.1f} MB, growth {growth:.1f} MB "
                  f"(target < 64 MB: {'PASS' if growth < 64 else 'FAIL'})")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
