"""Upload a generated sparse file (1 GiB by default) to the sandbox: throughput and the client's peak RSS growth,
for heygen-studio's upload path and for raw ``httpx2`` streaming of the same file, side by side.

The sandbox runs as a separate process on a loopback port (real sockets), and each upload runs in a fresh
process of its own, so each figure is that client's own memory. heygen-studio (``core.transfer.upload_file``,
what ``upload_asset`` runs, with a job store) direct-uploads it (create → PUT of 1 MiB chunks, each hashed as it
is read → complete with the hash); the raw client does create → PUT → complete with a plain 1 MiB read loop and
no hashing. ``ours-hash-first`` is heygen-studio's other path, taken when an upload of the same size is already
on record (the file may be that content): hash it first, then send it.
Target (issue #2): growth under 64 MB.    Run: .venv/bin/python bench/upload_rss.py [size_mib]
"""

from __future__ import annotations

import json
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import httpx2

from heygen_studio.core.client import HeyGenClient
from heygen_studio.core.store import Scope, ScopedJobs, SQLiteJobStore
from heygen_studio.core.transfer import CHUNK, upload_file

MP4_HEAD = (Path(__file__).resolve().parents[1] / "server/heygen_studio/sandbox/media/sample.mp4").read_bytes()[:64]
KEY = "bench-key"


def peak_rss_mb() -> float:
    """This process's peak RSS in MB: VmHWM, which belongs to this program's own memory map. (``ru_maxrss`` also
    keeps the peak of the parent's memory it was spawned from, so a small child of a large parent would show
    the parent's figure.)"""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # no /proc: ru_maxrss, in KiB on Linux
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kib) / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def sandbox_on_port() -> Iterator[int]:
    """``heygen-studio sandbox`` on a free loopback port, for as long as the block runs."""
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
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def sparse_mp4(size_mib: int) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.mp4"
        with path.open("wb") as fh:
            fh.write(MP4_HEAD)
            fh.truncate(size_mib * 1024 * 1024)
        yield path


async def ours(port: int, path: Path, same_size_on_record: bool = False) -> tuple[float, float]:
    """heygen-studio's upload, with a job store as ``upload_asset`` has (the never-upload-twice record): (RSS
    before, seconds). ``same_size_on_record``: an upload of another content of this size is on record first."""
    base = f"http://127.0.0.1:{port}"
    jobs = ScopedJobs(SQLiteJobStore(path.with_name("jobs.sqlite3")), Scope.of(base, KEY))
    if same_size_on_record:
        jobs.record(kind="asset", job_id="another", key=f"asset:{'0' * 64}:{path.stat().st_size}")
    async with HeyGenClient(api_key=KEY, base_url=base, max_retries=0, jobs=jobs) as hg:
        await hg.account.me()  # warm the connection pool and imports before the baseline
        baseline = peak_rss_mb()
        started = time.perf_counter()
        asset = await upload_file(hg, path)
        elapsed = time.perf_counter() - started
        assert asset.size_bytes == path.stat().st_size, asset
        return baseline, elapsed


async def raw(port: int, path: Path) -> tuple[float, float]:
    """Plain httpx2 streaming of the same direct upload: (RSS before, seconds)."""
    size = path.stat().st_size

    async def chunks() -> AsyncIterator[bytes]:
        with path.open("rb") as fh:
            while block := fh.read(CHUNK):
                yield block

    async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"X-Api-Key": KEY},
                                  timeout=600) as http:
        (await http.get("/v3/users/me")).raise_for_status()
        baseline = peak_rss_mb()
        started = time.perf_counter()
        made = await http.post("/v3/assets/direct-uploads",
                               json={"filename": path.name, "content_type": "video/mp4", "size_bytes": size})
        made.raise_for_status()
        upload = made.json()["data"]
        put = await http.put(upload["upload_url"], content=chunks(),
                             headers={**upload.get("upload_headers", {}), "Content-Type": "video/mp4",
                                      "Content-Length": str(size)})
        put.raise_for_status()
        done = await http.post(f"/v3/assets/{upload['asset_id']}/complete", json={})
        done.raise_for_status()
        return baseline, time.perf_counter() - started


def measure(how: str, port: int, size_mib: int) -> dict[str, float]:
    """One upload in this process (call it in a fresh one): MiB/s and peak RSS growth in MB."""
    with sparse_mp4(size_mib) as path:
        if how == "raw":
            baseline, elapsed = anyio.run(raw, port, path)
        else:
            baseline, elapsed = anyio.run(ours, port, path, how == "ours-hash-first")
    peak = peak_rss_mb()
    return {"mib": size_mib, "seconds": elapsed, "mib_per_s": size_mib / elapsed, "baseline_mb": baseline,
            "peak_mb": peak, "growth_mb": peak - baseline}


def measure_in_child(how: str, port: int, size_mib: int) -> dict[str, float]:
    """``measure`` in a fresh interpreter, so the peak RSS is that upload's alone."""
    done = subprocess.run([sys.executable, __file__, "--measure", how, str(port), str(size_mib)],
                          capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
        return
    size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    with sandbox_on_port() as port:
        for how, label in (("ours", "heygen-studio (hashed while sent)"), ("raw", "raw httpx2 streaming")):
            f = measure_in_child(how, port, size_mib)
            verdict = f" (target < 64 MB: {'PASS' if f['growth_mb'] < 64 else 'FAIL'})" if how == "ours" else ""
            print(f"upload of {size_mib} MiB, {label}: {f['seconds']:.1f} s, {f['mib_per_s']:.0f} MiB/s; "
                  f"client peak RSS: baseline {f['baseline_mb']:.1f} MB, peak {f['peak_mb']:.1f} MB, "
                  f"growth {f['growth_mb']:.1f} MB{verdict}")


if __name__ == "__main__":
    main()
