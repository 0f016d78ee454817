"""harness/node_tools.py: where node_modules and the SDK bundle cache are, in order: the checkout (node_modules only),
$BRAZE_HARNESS_HOME, the user cache dir; an installed package never points into site-packages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from braze_harness import node_tools
from braze_harness.devices.web.sdk_bundle import bundle_path

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """The package folder of an install: site-packages/braze_harness, with other packages' files beside it."""
    package = tmp_path / "venv" / "lib" / "python3.12" / "site-packages" / "braze_harness"
    package.mkdir(parents=True)
    (package.parent / "package.json").write_text(json.dumps({"name": "someone-else"}))  # not our checkout's
    return package


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # what platformdirs' user cache dir follows on Linux
    monkeypatch.delenv(node_tools.HOME_ENV, raising=False)
    return tmp_path / "xdg"


def test_a_checkout_is_recognised_and_an_install_is_not(installed: Path) -> None:
    assert node_tools.checkout_root(REPO / "harness") == REPO
    assert node_tools.checkout_root() == REPO  # these tests run from the checkout
    assert node_tools.checkout_root(installed) is None


def test_home_is_the_env_var_then_the_user_cache_dir(tmp_path: Path, xdg: Path) -> None:
    assert node_tools.home({}) == xdg / "braze-harness"
    assert node_tools.home({node_tools.HOME_ENV: ""}) == xdg / "braze-harness"  # set but empty: unset
    assert node_tools.home({node_tools.HOME_ENV: str(tmp_path / "h")}) == tmp_path / "h"
    assert node_tools.home({node_tools.HOME_ENV: "~/bh"}) == Path.home() / "bh"


def test_node_root_order(tmp_path: Path, installed: Path, xdg: Path) -> None:
    env = {node_tools.HOME_ENV: str(tmp_path / "h")}
    # 1. a checkout uses its own node_modules (./qa setup), whatever the environment says
    assert node_tools.node_root(env, REPO / "harness") == REPO
    # 2. an installed package: $BRAZE_HARNESS_HOME
    assert node_tools.node_root(env, installed) == tmp_path / "h"
    # 3. then the user cache dir, never inside site-packages
    root = node_tools.node_root({}, installed)
    assert root == xdg / "braze-harness"
    assert installed.parent not in root.parents


def test_the_bundle_cache_follows_the_home_even_in_a_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xdg: Path) -> None:
    assert bundle_path("6.13.0") == xdg / "braze-harness" / "web-sdk" / "braze-web-sdk-6.13.0.js"
    monkeypatch.setenv(node_tools.HOME_ENV, str(tmp_path / "h"))
    assert bundle_path("6.13.0") == tmp_path / "h" / "web-sdk" / "braze-web-sdk-6.13.0.js"


def test_the_checkout_tooling_and_its_pins() -> None:
    pins = node_tools.pinned_packages()
    assert pins == json.loads((REPO / "package.json").read_text())["devDependencies"]
    assert {"esbuild", "@braze/web-sdk", "@braze/service-worker", "appium"} <= set(pins)
    assert node_tools.node_bin("esbuild") == REPO / "node_modules" / ".bin" / "esbuild"
    assert node_tools.service_worker().is_file()  # installed by ./qa setup
    assert node_tools.require_bin("esbuild", "bundling") == node_tools.node_bin("esbuild")


def test_a_missing_tool_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(node_tools.HarnessConfigError) as info:
        node_tools.require_bin("no-such-tool", "bundling")
    assert str(info.value) == f"bundling needs no-such-tool, not installed in {REPO / 'node_modules'}: run ./qa setup"
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(node_tools.HarnessConfigError, match=r"^bundling needs Node.js, .*apt install nodejs npm\)$"):
        node_tools.require_bin("esbuild", "bundling")
