"""Where a person waits (issue #15 §5), in one run: each figure side by side with its floor.

* **Shell start-up**: ``heygen-studio jobs --json`` and ``voices --json`` (embedded sandbox), wall clock of the
  real command, one process each. These commands call the workflow layer directly (``shell/direct.py``) and
  import no MCP SDK, so their floor is a *no-MCP shell*: typed settings (``pydantic-settings``), a SQLite read,
  a pydantic result printed as JSON in an ``anyio`` loop, with the garbage collector held while it starts, as
  heygen-studio does (``startup.py``): what any shell command with typed settings, a job store and a typed
  result pays before it does anything of its own. Also shown: ``python -c pass``; ``heygen-studio --version``
  (Python and the CLI module); and the *one-tool in-process MCP shell* (import the SDK, build a one-tool
  ``MCPServer``, connect an in-memory ``Client``, call the tool, print its JSON; the lower of as is and with the
  collector held), the floor of the paid commands (``video create``, ``produce``), which still talk MCP in
  process for their cost confirmation. Target: ``jobs --json`` and ``voices --json`` each ≤ 0.5 s.
* **Cold start**: ``heygen-studio serve`` (stdio) spawn → initialized → ``tools/list``, against a one-tool
  ``MCPServer`` started the same way (``budget.cold_start``). Target: at most +0.08 s.
* **Upload**: a sparse 1 GiB MP4 (``[size_mib]``) to ``heygen-studio sandbox`` on a loopback port, heygen-studio's
  ``upload_file`` (what ``upload_asset`` runs, with a job store) against raw ``httpx2`` streaming of the same
  direct upload; each upload in a fresh process (``upload_rss.measure_in_child``). Target: ≥ 0.8× raw. Also shown:
  the path taken when an upload of the same size is already on record (hash first, then send: two reads).

Every pair is measured interleaved (A, B, A, B…) and reported as medians, with the load average before and after,
because the machine is shared. Processes run with byte-code cached (in a temporary PYTHONPYCACHEPREFIX, whatever
PYTHONDONTWRITEBYTECODE says), as an installed package runs. ``--shell``, ``--cold``, ``--upload``: only those.
Run: .venv/bin/python bench/waits.py [runs] [size_mib]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import anyio
from mcp import StdioServerParameters

sys.path.insert(0, str(Path(__file__).resolve().parent))
from budget import BASELINE, cold_start
from upload_rss import measure_in_child, sandbox_on_port

COMMAND = Path(sys.executable).with_name("heygen-studio")
SHELL_TARGET_S = 0.5
COLD_START_BUDGET_S = 0.08
UPLOAD_TARGET = 0.8

ONE_TOOL_SHELL = textwrap.dedent('''
    import sys
    if sys.argv[1:] == ["--hold-gc"]:  # as heygen-studio does while it starts (startup.py)
        import gc; gc.disable()
    import json, anyio
    from mcp import Client
    from mcp.server import MCPServer

    server = MCPServer("floor", version="0")

    @server.tool()
    def ping() -> dict[str, str]:
        """Answer pong."""
        return {"pong": "pong"}

    async def main() -> None:
        async with Client(server) as client:
            print(json.dumps((await client.call_tool("ping", {})).structured_content))

    anyio.run(main)
''')


NO_MCP_SHELL = textwrap.dedent('''
    import gc; gc.disable()  # as heygen-studio does while it starts (startup.py)
    import json, sqlite3
    import anyio
    from pydantic import BaseModel
    from pydantic_settings import BaseSettings

    class Settings(BaseSettings):
        state_dir: str = ":memory:"

    class Row(BaseModel):
        job_id: str

    async def main() -> None:
        db = sqlite3.connect(Settings().state_dir)
        db.execute("create table jobs (job_id text)")
        db.execute("insert into jobs values ('video:1')")
        rows = [Row(job_id=job_id) for (job_id,) in db.execute("select job_id from jobs")]
        print(json.dumps({"items": [row.model_dump(mode="json") for row in rows]}))

    anyio.run(main)
''')


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def wall(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def shell_startup(runs: int, env: dict[str, str], tmp: Path) -> None:
    floor = tmp / "no_mcp_shell.py"
    floor.write_text(NO_MCP_SHELL)
    mcp_floor = tmp / "one_tool_shell.py"
    mcp_floor.write_text(ONE_TOOL_SHELL)
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "heygen-studio --version": [str(COMMAND), "--version"],
        "no-MCP shell (floor)": [sys.executable, str(floor)],
        "one-tool in-process MCP shell": [sys.executable, str(mcp_floor)],
        "the same, collector held": [sys.executable, str(mcp_floor), "--hold-gc"],
        "heygen-studio jobs --json": [str(COMMAND), "jobs", "--json"],
        "heygen-studio voices --json": [str(COMMAND), "voices", "--json"],
    }
    measured = ("heygen-studio jobs --json", "heygen-studio voices --json")
    for argv in cases.values():  # warm the file cache and the byte-code
        wall(argv, env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    before = load()
    for _ in range(runs):
        for name, argv in cases.items():
            times[name].append(wall(argv, env))
    medians = {name: statistics.median(values) for name, values in times.items()}
    floor_s = medians["no-MCP shell (floor)"]
    paid_floor_s = min(medians["one-tool in-process MCP shell"], medians["the same, collector held"])
    print(f"shell start-up, wall clock, median of {runs} interleaved runs ({before} before, {load()} after):")
    for name, value in medians.items():
        if name in measured:
            print(f"  {name:<40} {value:6.3f} s  = floor {floor_s:.3f} s {value - floor_s:+.3f} s "
                  f"(target ≤ {SHELL_TARGET_S} s: {verdict(value <= SHELL_TARGET_S)})")
        else:
            print(f"  {name:<40} {value:6.3f} s")
    print(f"  (jobs and voices import no MCP SDK; the paid commands, `video create` and `produce`, still talk MCP in "
          f"process, for their cost confirmation: their floor is the MCP shell's, {paid_floor_s:.3f} s here. "
          "voices --json also builds the HeyGen client and the embedded sandbox.)")


async def cold_starts(runs: int, env: dict[str, str], tmp: Path) -> None:
    script = tmp / "baseline.py"
    script.write_text(BASELINE)
    ours = StdioServerParameters(command=sys.executable, args=["-m", "heygen_studio", "serve"], env=env)
    base = StdioServerParameters(command=sys.executable, args=[str(script)], env=env)
    await cold_start(ours)  # warm the OS file cache for both before measuring
    await cold_start(base)
    ours_t, base_t = [], []
    before = load()
    for _ in range(runs):
        base_t.append(await cold_start(base))
        ours_t.append(await cold_start(ours))
    ours_m, base_m = statistics.median(ours_t), statistics.median(base_t)
    delta = ours_m - base_m
    print(f"cold start (spawn → initialized → tools/list), median of {runs} interleaved runs ({before} before, "
          f"{load()} after):")
    print(f"  one-tool MCPServer (floor)               {base_m:6.3f} s")
    print(f"  heygen-studio serve                      {ours_m:6.3f} s  = floor {delta:+.3f} s "
          f"(budget +{COLD_START_BUDGET_S:.2f} s: {verdict(delta <= COLD_START_BUDGET_S)})")


def uploads(runs: int, size_mib: int) -> None:
    with sandbox_on_port() as port:
        measure_in_child("raw", port, min(size_mib, 64))  # warm the sandbox and the file cache
        times: dict[str, list[float]] = {"raw": [], "ours": [], "ours-hash-first": []}
        before = load()
        for _ in range(runs):
            for how, values in times.items():
                values.append(measure_in_child(how, port, size_mib)["seconds"])
    raw_m, ours_m, first_m = (statistics.median(times[how]) for how in ("raw", "ours", "ours-hash-first"))
    ratio = raw_m / ours_m
    print(f"upload of {size_mib} MiB to the sandbox on a loopback port, median of {runs} interleaved runs "
          f"({before} before, {load()} after):")
    print(f"  raw httpx2 streaming (floor)             {raw_m:6.2f} s  {size_mib / raw_m:5.0f} MiB/s")
    print(f"  heygen-studio upload_file                {ours_m:6.2f} s  {size_mib / ours_m:5.0f} MiB/s  "
          f"= {ratio:.2f}× raw (target ≥ {UPLOAD_TARGET}×: {verdict(ratio >= UPLOAD_TARGET)})")
    print(f"  the same, an upload of its size on record{first_m:6.2f} s  {size_mib / first_m:5.0f} MiB/s  "
          f"= {raw_m / first_m:.2f}× raw (hashed first, then sent: the rare path, as before)")


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    only = {a[2:] for a in sys.argv[1:] if a.startswith("--")} or {"shell", "cold", "upload"}
    runs = int(args[0]) if args else 7
    size_mib = int(args[1]) if len(args) > 1 else 1024
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("HEYGEN_", "DEEPSEEK_")) and k != "PYTHONDONTWRITEBYTECODE"}
        # Byte-code as an installed package has it (compiled once, by the warm-up runs), for every process
        # measured alike, kept out of the source tree.
        env.update(HEYGEN_SANDBOX="1", HEYGEN_STATE_DIR=f"{tmp}/state", HEYGEN_OUTPUT_DIR=f"{tmp}/out",
                   PYTHONPYCACHEPREFIX=f"{tmp}/pycache")
        os.environ.update(PYTHONPYCACHEPREFIX=env["PYTHONPYCACHEPREFIX"])  # the upload children too
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        print(f"{sys.platform}, {os.cpu_count()} cores, Python {sys.version.split()[0]}; {load()}")
        if "shell" in only:
            shell_startup(runs, env, Path(tmp))
        if "cold" in only:
            anyio.run(cold_starts, runs, env, Path(tmp))
        if "upload" in only:
            uploads(max(3, runs // 2), size_mib)


if __name__ == "__main__":
    main()
