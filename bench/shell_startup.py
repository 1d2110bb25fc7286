"""What the shell's design costs at start-up (issue #10 §2, #15 §5), printed as figures.

The commands without a cost (``jobs``, ``voices``, ``avatars``, ``video status|wait|download``) call the workflow
layer directly in process (``heygen_studio.shell.direct``), without the MCP SDK; the paid ones (``video create``,
``produce``) still reach the tools through an in-memory MCP client (``shell.session``), for the cost confirmation
(``bench/waits.py`` shows that floor). This prints, medians of interleaved runs of the real command:

* ``heygen-studio --version`` (Python and the CLI module: the floor of any command);
* ``heygen-studio jobs --json`` (the settings, the job store, one local workflow call);
* ``heygen-studio voices --json`` on the embedded sandbox (the same plus the HeyGen client and the sandbox);

and, in this process, where ``jobs`` spends it: imports, loading the settings, opening the state, the call.

Run: .venv/bin/python bench/shell_startup.py [runs]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMAND = Path(sys.executable).with_name("heygen-studio")


def wall(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([str(COMMAND), *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def in_process(env: dict[str, str]) -> dict[str, float]:
    code = """
import time, anyio
t0 = time.perf_counter()
from heygen_studio.settings import load_settings
from heygen_studio.shell.direct import Direct
t1 = time.perf_counter()
async def main():
    settings = load_settings(heygen_toolsets="all")
    t2 = time.perf_counter()
    async with Direct(settings) as tools:
        t3 = time.perf_counter()
        await tools.call("list_jobs", {"limit": 5})
        t4 = time.perf_counter()
    print(t1 - t0, t2 - t1, t3 - t2, t4 - t3)
anyio.run(main)
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    imports, settings, state, call = (float(x) for x in out.stdout.split())
    return {"import settings + shell.direct": imports, "load_settings": settings, "open the state": state,
            "first call (list_jobs)": call}


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_"))}
        env.update(HEYGEN_SANDBOX="1", HEYGEN_STATE_DIR=f"{tmp}/state", HEYGEN_OUTPUT_DIR=f"{tmp}/out")
        cases = {"--version": ["--version"], "jobs --json": ["jobs", "--json"],
                 "voices --json (sandbox)": ["voices", "--json"]}
        times: dict[str, list[float]] = {name: [] for name in cases}
        wall(["jobs"], env)  # warm the file cache and the byte-code
        for _ in range(runs):
            for name, args in cases.items():
                times[name].append(wall(args, env))
        print(f"heygen-studio shell start-up, median of {runs} runs (wall clock, one process each):")
        for name, values in times.items():
            print(f"  {name:<26} {statistics.median(values):6.3f} s")
        parts = [in_process(env) for _ in range(max(1, runs // 2))]
        print("in process, `jobs`:")
        for key in parts[0]:
            print(f"  {key:<26} {statistics.median(p[key] for p in parts) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
