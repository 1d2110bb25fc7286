"""The suite as a user's clone runs it (issue #15 §1): no ``../shared`` beside the repository, so no HeyGen
contract. The tests that need it skip under one reason, the others run (their exchanges unchecked), and the
run's summary says both counts; it also says how many examples the fuzz drew per tool.

A copy of ``tests/`` (and ``pyproject.toml`` for pytest's settings) in a temporary folder with no ``shared``
beside it, the code under test by a link, run by pytest in a child process."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_a_clone_without_shared_skips_contract_checks_under_one_reason_and_says_how_many(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    shutil.copytree(ROOT / "tests", clone / "tests", ignore=shutil.ignore_patterns("__pycache__", ".artifacts"))
    shutil.copy(ROOT / "pyproject.toml", clone / "pyproject.toml")
    (clone / "server").symlink_to(ROOT / "server")
    assert not (tmp_path / "shared").exists()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_")) and k != "CI"}
    env.update(PYTHONPATH=str(clone / "server"), HEYGEN_FUZZ_EXAMPLES="3")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_sandbox_contract.py::test_served_operations_exist_in_contract",
         "tests/test_sandbox_contract.py::test_event_types_match_the_contract",
         "tests/test_sandbox_batches.py::test_a_video_batch_is_refused_whole_or_fails_per_item",
         "tests/test_fuzz.py::test_fuzz_tool[list_jobs]"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=300)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert re.search(r"^2 passed, 2 skipped", out.splitlines()[-1]), out
    skipped = [line for line in out.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 1 and skipped[0].startswith("SKIPPED [2] tests/contract.py:"), skipped
    assert "../shared/heygen-api/contract.json) is not beside this clone" in skipped[0]
    counted = re.search(r"^contract checks skipped: 2 tests that need HeyGen's API contract, and (\d+) HTTP "
                        r"exchanges of the tests that ran were not checked against it", out, flags=re.M)
    assert counted and int(counted.group(1)) > 0, out
    assert "fuzz: 3 examples per tool for 1 tool (200 when CI is set; HEYGEN_FUZZ_EXAMPLES=N to choose)." in out
