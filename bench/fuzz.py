"""A longer fuzz run over every listed tool (issue #8 §2 "Input"), printed as figures.

The same targets, strategies and judgements as ``tests/test_fuzz.py`` (see ``tests/fuzzing.py``), but every
example is run and counted instead of stopping at the first problem. Per tool, and in total: calls,
schema-valid calls, error results, hidden errors (the SDK's bare "Error executing tool <name>"), errors in
pydantic's words instead of ours, protocol failures (exceptions, JSON-RPC errors, hangs), upstream requests
for refused schema-invalid input, look-ups for refused schema-valid input, calls that failed after credits
were spent, key leaks and contract violations. The first problems found are printed with their arguments.

Run: .venv/bin/python bench/fuzz.py [examples_per_tool=1000] [tool ...]   (random seed; HYPOTHESIS_SEED=n to repeat)
Problems that are known failures (``fuzzing.known``, pinned by strict xfails in tests/test_fuzz.py) are
marked "(known)"; the exit status is 1 when any other problem was found.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzzing import Figures, FuzzTarget, Outcome, problems, unexpected

COLUMNS = ("calls", "valid", "errors", "hidden", "sdk_worded", "protocol", "rejected_upstream",
           "lookups_for_refused_valid", "paid_on_error", "key_leaks", "contract")
HEADS = ("calls", "valid", "errors", "hidden", "sdk-words", "protocol", "up:junk", "up:valid", "paid-err", "keys",
         "contract")
SHOW = 3  # problems printed per tool


Found = list[tuple[Outcome, list[str], bool]]  # an outcome, its problems, whether they are all known failures


def fuzz_tool(target: FuzzTarget, tool: str, examples: int) -> tuple[Figures, Found]:
    figures = Figures()
    found: Found = []

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(arguments=target.arguments(tool))
    def run(arguments: dict[str, object]) -> None:
        outcome = target.call(tool, arguments)
        figures.add(outcome)
        wrong = problems(outcome)
        if wrong:
            found.append((outcome, wrong, not unexpected(outcome)))

    if "HYPOTHESIS_SEED" in os.environ:
        run = seed(int(os.environ["HYPOTHESIS_SEED"]))(run)
    run()
    return figures, found


def main() -> int:
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    only = set(sys.argv[2:])
    logging.disable(logging.CRITICAL)  # tool crashes are counted here, not logged
    total = Figures()
    failing = known = unknown = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, FuzzTarget(Path(tmp)) as target:
        tools = [name for name in target.schemas if not only or name in only]
        width = max(len(t) for t in tools)
        print(f"{'tool':<{width}} " + " ".join(f"{h:>9}" for h in HEADS) + "   s/call")
        for tool in tools:
            figures, found = fuzz_tool(target, tool, examples)
            total.merge(figures)
            failing += any(not is_known for _, _, is_known in found)
            known += sum(is_known for _, _, is_known in found)
            unknown += sum(not is_known for _, _, is_known in found)
            row = " ".join(f"{getattr(figures, c):>9}" for c in COLUMNS)
            print(f"{tool:<{width}} {row}   {figures.seconds / max(figures.calls, 1):.4f}", flush=True)
            for outcome, wrong, is_known in found[:SHOW]:
                print(f"    ! {'(known) ' if is_known else ''}{'; '.join(wrong)}\n      {outcome.short()}")
            if len(found) > SHOW:
                print(f"    … and {len(found) - SHOW} more")
        row = " ".join(f"{getattr(total, c):>9}" for c in COLUMNS)
        print(f"{'TOTAL':<{width}} {row}   {total.seconds / max(total.calls, 1):.4f}")
        print(f"{len(tools)} tools, {examples} examples each, {time.perf_counter() - start:.1f} s wall; "
              f"{len(target.sandbox.requests)} upstream requests in all, {1e9 - target.sandbox.credits:g} credits "
              f"spent on the sandbox")
        print(f"calls with problems: {known} known failures (strict xfails in tests/test_fuzz.py), {unknown} "
              f"unexpected, in {failing} tools")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
