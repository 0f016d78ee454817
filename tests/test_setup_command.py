"""`braze-harness setup` from a checkout: node checked first (one line without it), the checkout's npm install kept
when it is at its pins, the bundle put in the harness home. The install into a fresh home is tests/packaging/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def setup(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "braze_harness.cli", "setup", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False, cwd=REPO)


def test_without_node_it_says_how_to_install_it(tmp_path: Path) -> None:
    proc = setup(env={**os.environ, "PATH": str(tmp_path), "BRAZE_HARNESS_HOME": str(tmp_path / "home")})
    assert proc.returncode == 2
    assert proc.stderr == "braze-harness: error: `node` was not found on PATH: install Node.js 18+: apt install nodejs npm\n"
    assert not (tmp_path / "home").exists()


def test_in_a_checkout_it_keeps_the_npm_install_and_bundles_into_the_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    bundle = home / "web-sdk" / "braze-web-sdk-5.9.1.js"
    bundle.parent.mkdir(parents=True)
    bundle.write_text("/* built before */")  # reused as it is: no npm call for the bundle either
    proc = setup("--web-sdk", "5.9.1", env={**os.environ, "BRAZE_HARNESS_HOME": str(home)})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("setup: node v") and all(line.startswith("setup: ") for line in lines)
    assert f"setup: repository checkout: npm packages up to date in {REPO / 'node_modules'}" in lines
    assert f"setup: @braze/web-sdk 5.9.1: {bundle}" in lines
    assert lines[-1] == f"setup: done: node tooling in {REPO / 'node_modules'}, bundles in {home / 'web-sdk'}"
    assert bundle.read_text() == "/* built before */"
    assert sorted(p.name for p in home.iterdir()) == ["web-sdk"]  # nothing npm-installed into the home of a checkout
