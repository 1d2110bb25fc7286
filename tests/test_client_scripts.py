"""What scripts/inspector.py and scripts/conformance.py rely on, checked without Node (CI runs the scripts
themselves after the tests): the Inspector script knows arguments for exactly the read-only tools, the npm pins
are exact and the lock file matches them, and the conformance baselines are clean lists of scenarios."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"


def script(name: str) -> ModuleType:
    sys.path.insert(0, str(SCRIPTS))
    try:
        spec = importlib.util.spec_from_file_location(f"scripts_{name}", SCRIPTS / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(SCRIPTS))


def test_the_inspector_script_calls_exactly_the_read_only_tools() -> None:
    manifest = json.loads((ROOT / "server/heygen_studio/tools/manifest.json").read_text())
    read_only = {t["name"] for t in manifest["tools"] if (t.get("annotations") or {}).get("read_only_hint")}
    assert set(script("inspector").READ_ONLY) == read_only


def test_npm_pins_are_exact_and_locked() -> None:
    package = json.loads((SCRIPTS / "node/package.json").read_text())
    lock = json.loads((SCRIPTS / "node/package-lock.json").read_text())
    pins = {**package["dependencies"], **package["optionalDependencies"]}
    assert all(version[0].isdigit() for version in pins.values()), pins  # no ranges: CI runs what was measured
    root = lock["packages"][""]
    assert {**root["dependencies"], **root["optionalDependencies"]} == pins
    for name, version in pins.items():
        locked = lock["packages"][f"node_modules/{name}"]
        assert locked["version"] == version and locked["integrity"].startswith("sha512-"), name


def test_conformance_baselines_are_sorted_lists_of_scenarios() -> None:
    conformance = script("conformance")
    for era in conformance.ERAS:
        listed = yaml.safe_load(conformance.baseline(era).read_text())["server"]
        assert listed == sorted(set(listed)) and all(isinstance(s, str) and s for s in listed), era
