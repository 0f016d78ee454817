"""The wheel as a user installs it: built from this checkout, installed with the [proxy] extra into a fresh venv on
Python 3.12 (the oldest supported), `braze-harness setup` run with BRAZE_HARNESS_HOME in a temporary folder, then
every test of the user projects under tests/packaging/ (smoke_project/, project/) run by that venv's pytest from an
empty folder (docs/install.md, docs/your-web-site.md).

Nothing of this checkout may leak in: PYTHONPATH (the worktree mapping) is dropped and the project folder is outside
the repository, so `braze_harness` must come from the venv's site-packages."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# the README's example on the bundled demo app; a site with its Braze key and host written in (docs/your-web-site.md)
PROJECTS = (HERE / "smoke_project", HERE / "project")
NOT_SOURCE = (".git", ".venv", ".dev", "node_modules", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "*-results")


def python_312() -> str:
    """Python 3.12 (pyenv or PATH); this Python (3.13 in .venv) when no 3.12 is installed, said in the test output."""
    candidates = [shutil.which("python3.12"), *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")))]
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "-c", "import venv"], capture_output=True, check=False).returncode == 0:
            return candidate
    warnings.warn(f"no Python 3.12 found: the wheel is tested on this Python ({sys.version.split()[0]})", stacklevel=1)
    return sys.executable


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTHONHOME"}}
    env["BRAZE_HARNESS_HOME"] = str(home)
    return env


def run(cmd: list[str | Path], *, cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    shown = " ".join(map(str, cmd))
    assert proc.returncode == 0, f"{shown} exited {proc.returncode}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


def test_wheel_installs_sets_up_and_runs_a_users_tests(tmp_path: Path, record_property: pytest.RecordProperty) -> None:
    times: dict[str, float] = {}
    home, dist, venv = tmp_path / "home", tmp_path / "dist", tmp_path / "venv"
    env = clean_env(home)

    start = time.monotonic()
    # from a copy without build/, *.egg-info or caches: setuptools' in-tree build/ would ship files deleted since
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    run([sys.executable, "-m", "pip", "wheel", source, "--no-deps", "-q", "-w", dist], cwd=tmp_path, env=env)
    [wheel] = dist.glob("braze_harness-*.whl")
    times["build"] = time.monotonic() - start

    start = time.monotonic()
    run([python_312(), "-m", "venv", venv], cwd=tmp_path, env=env)
    py = venv / "bin" / "python"
    run([py, "-m", "pip", "install", "-q", f"{wheel}[proxy]"], cwd=tmp_path, env=env)
    times["venv+install"] = time.monotonic() - start

    def python(code: str) -> str:
        return run([py, "-c", code], cwd=tmp_path, env=env, timeout=120).stdout.strip()

    version = python("import sys; print(sys.version.split()[0])")
    site = Path(python("import braze_harness; print(braze_harness.__file__)"))
    assert venv in site.parents, f"braze_harness imported from {site}, not from the venv"
    # the [proxy] extra is there; the [appium] one was not asked for, and the core does not bring it
    python("import mitmproxy, platformdirs")
    assert subprocess.run([py, "-c", "import appium"], env=env, capture_output=True, check=False).returncode != 0
    # the dashboard's page ships in the wheel and is served from it (docs/dashboard.md)
    served = python(
        "import httpx; from braze_harness.emulator.http.server import EmulatorServer\n"
        "with EmulatorServer() as s:\n"
        "    files = ('', 'dashboard.js', 'dashboard.css')\n"
        "    print(*(httpx.get(s.url + '/_emulator/ui/' + f, trust_env=False).status_code for f in files))"
    )
    assert served == "200 200 200", served

    start = time.monotonic()
    setup = run([venv / "bin" / "braze-harness", "setup"], cwd=tmp_path, env=env)
    times["setup"] = time.monotonic() - start
    assert "setup: done" in setup.stdout, setup.stdout
    assert (home / "node_modules" / ".bin" / "esbuild").exists()
    assert (home / "node_modules" / "@braze" / "service-worker" / "service-worker.js").is_file()
    assert (home / "web-sdk" / "braze-web-sdk-6.13.0.js").is_file()

    # each user project (its own pytest.ini, site and tests), in an empty folder outside the repository
    pytest_cmd = [py, "-m", "pytest", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning"]
    for source_project in PROJECTS:
        project = tmp_path / source_project.name
        shutil.copytree(source_project, project, ignore=shutil.ignore_patterns("__pycache__"))
        test_files = {p.name for p in project.glob("test_*.py")}
        collected = run([*pytest_cmd, "-q", "--co"], cwd=project, env=env).stdout.splitlines()
        assert {line.split("::")[0] for line in collected if "::" in line} == test_files
        start = time.monotonic()
        tests = run([*pytest_cmd, "-q"], cwd=project, env=env)
        times[f"pytest {source_project.name}"] = time.monotonic() - start
        summary = tests.stdout.strip().splitlines()[-1]
        assert " passed" in summary and "failed" not in summary and "error" not in summary, tests.stdout[-4000:]

    # an installed package never writes into site-packages: only what the wheel's RECORD lists (and bytecode) is there
    package = site.parent
    record = next(package.parent.glob("braze_harness-*.dist-info")) / "RECORD"
    shipped = {line.split(",")[0] for line in record.read_text().splitlines() if line.startswith("braze_harness/")}
    shipped = {name for name in shipped if "__pycache__" not in name}
    present = {str(p.relative_to(package.parent)) for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert present == shipped, f"written into site-packages: {sorted(present - shipped)}"

    figures = ", ".join(f"{k} {v:.1f} s" for k, v in times.items())
    print(f"Python {version}: {figures}")
    record_property("timings", figures)
