"""braze_harness.devices.web.sdk_bundle: bundling @braze/web-sdk versions for the browser."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from braze_harness.devices.web.sdk_bundle import bundle_path, ensure_bundle
from braze_harness.errors import HarnessConfigError
from playwright.sync_api import Browser

from tests.support.chromium import loopback_chromium

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def sdk_browser() -> Iterator[Browser]:
    with loopback_chromium() as browser:
        yield browser


def test_bundle_defines_window_braze(sdk_browser: Browser) -> None:
    bundle = ensure_bundle("6.13.0")
    assert bundle.name == "braze-web-sdk-6.13.0.js"
    page = sdk_browser.new_page()
    try:
        page.add_script_tag(path=str(bundle))
        api = page.evaluate(
            "() => ['initialize', 'openSession', 'changeUser', 'logCustomEvent', 'requestImmediateDataFlush']"
            ".filter((name) => typeof window.braze?.[name] === 'function')"
        )
    finally:
        page.close()
    assert api == [
        "initialize",
        "openSession",
        "changeUser",
        "logCustomEvent",
        "requestImmediateDataFlush",
    ]


def test_bundle_is_reused(tmp_path: Path) -> None:
    cached = bundle_path("6.13.0", tmp_path)
    cached.parent.mkdir(parents=True)
    cached.write_text("/* already built */")
    lines: list[str] = []
    assert ensure_bundle("6.13.0", cache_dir=tmp_path, log=lines.append) == cached
    assert lines == []
    assert cached.read_text() == "/* already built */"


def test_cache_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAZE_HARNESS_HOME", str(tmp_path))
    assert bundle_path("6.5.0") == tmp_path.resolve() / "web-sdk" / "braze-web-sdk-6.5.0.js"


def test_unknown_version_lists_available_ones(tmp_path: Path) -> None:
    with pytest.raises(HarnessConfigError) as err:
        ensure_bundle("6.99.0", cache_dir=tmp_path)
    message = str(err.value)
    assert "6.99.0" in message and "available versions" in message
    assert "6.13.0" in message and "6.5.0" in message
    assert "\n" not in message


@pytest.mark.parametrize("version", ["latest", "6.13", "v6.13.0", "6.13.0; rm -rf /", ""])
def test_malformed_version_is_rejected_before_npm(version: str, tmp_path: Path) -> None:
    with pytest.raises(HarnessConfigError, match="invalid @braze/web-sdk version"):
        ensure_bundle(version, cache_dir=tmp_path)
    assert not (tmp_path / "web-sdk").exists()


def test_missing_npm_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(HarnessConfigError, match="`npm` was not found"):
        ensure_bundle("6.13.0", cache_dir=tmp_path)


def test_parallel_builds_share_one_bundle(tmp_path: Path) -> None:
    """Two processes (like two xdist workers) asking at once: one builds, the other waits and reuses."""
    script = (
        "import sys; from pathlib import Path; from braze_harness.devices.web.sdk_bundle import ensure_bundle\n"
        "print(ensure_bundle('6.13.0', cache_dir=Path(sys.argv[1]), log=lambda m: print('LOG', m)))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    paths = {out.strip().splitlines()[-1] for out, _ in outputs}
    assert paths == {str(bundle_path("6.13.0", tmp_path))}
    builds = sum(out.count("LOG bundling") for out, _ in outputs)
    assert builds == 1, outputs
    assert Path(paths.pop()).stat().st_size > 100_000
    assert not list((tmp_path / "web-sdk").glob("*.tmp"))
