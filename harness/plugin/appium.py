"""Appium in the pytest plugin: the run's Appium server (`braze_appium_server`) and the app adapter factory of the
Appium targets (`appium_app`, what `--braze-target fake` and every real-app profile name as their adapter), with
what a failed test leaves behind (page source, screenshot, FakeOs log, server log tail in the report).

The target's `appium_url` (a grid, a device farm hub, a server you run) is used as is; without one, a local
Appium 3 server from the project's node_modules is started once per session (per xdist worker) on a free
127.0.0.1 port and stopped at the end. Its log is `<--output>/appium-server[-<worker>].log`.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from braze_harness.errors import HarnessConfigError
from braze_harness.plugin.artifacts import artifact_folder

if TYPE_CHECKING:
    from braze_harness.devices.appium.adapter import AppiumAdapter


@pytest.fixture(scope="session")
def braze_appium_server(request: pytest.FixtureRequest) -> Generator[object]:
    """An `AppiumEndpoint` (`.url` for `webdriver.Remote`, `.require_driver(automation_name)`)."""
    from braze_harness.devices.appium.server import AppiumEndpoint, AppiumServer

    target = request.getfixturevalue("braze_target")
    url = getattr(target, "appium_url", None)
    if url:
        yield AppiumEndpoint.remote(url)
        return
    output = Path(request.config.getoption("--output", default=None) or "test-results")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    server = AppiumServer(log_path=output / (f"appium-server-{worker}.log" if worker else "appium-server.log"))
    server.start()
    yield server
    server.stop()


_OPTIONS = ("locators", "reset_on_launch", "ready_timeout")
# the web demo's and the virtual devices' options: a real app's SDK settings live in its build, so they are ignored
_IGNORED_OPTIONS = ("logging", "init_options", "session_timeout", "idle", "auto_session")


def appium_app(*, request: Any, braze: Any, api_key: str, **options: Any) -> AppiumAdapter:
    """`--braze-target fake` / any Appium target: the app of `braze_target` through the session's Appium server.

    Options (`@pytest.mark.braze_app(...)`): `locators` (a `Locators`, a mapping or a YAML path; default: the
    target's `locators`, else those of fake_app.xml), `reset_on_launch`, `ready_timeout`."""
    from braze_harness.devices.appium.adapter import FAKE_APP_XML, AppiumAdapter
    from braze_harness.devices.appium.server import AppiumEndpoint
    from braze_harness.devices.targets.locators import Locators

    unknown = set(options) - set(_OPTIONS) - set(_IGNORED_OPTIONS)
    if unknown:
        raise HarnessConfigError(f"appium app: unknown option(s) {', '.join(sorted(unknown))}; known: {', '.join(_OPTIONS)}")
    target = request.getfixturevalue("braze_target")
    if not getattr(target, "uses_appium", False):
        raise HarnessConfigError(f"--braze-target {target.name} is not an Appium target (kind {target.kind})")
    endpoint: AppiumEndpoint = request.getfixturevalue("braze_appium_server")
    sdk_endpoint = request.getfixturevalue("braze_sdk_base_url")
    proxy = request.getfixturevalue("braze_proxy") if request.config.getoption("--braze-proxy", default=False) else None
    capabilities = dict(target.capabilities(api_key=api_key, endpoint=sdk_endpoint, ca_pem=proxy.ca_cert if proxy else None))
    if target.platform == "fake":
        capabilities.setdefault("appium:app", str(FAKE_APP_XML))
    automation_name = capabilities.get("appium:automationName")
    if automation_name:
        endpoint.require_driver(str(automation_name))
    locators = options.get("locators", getattr(target, "locators", None))
    if locators is not None and not isinstance(locators, Locators):
        locators = Locators.load(locators, name=f"target {target.name} locators")
    adapter = AppiumAdapter(
        endpoint,
        capabilities,
        locators=locators,
        app_id=target.app_id,
        reset_commands=target.reset_commands(),
        launch_command=target.launch_command(api_key=api_key, endpoint=sdk_endpoint),
        reset_on_launch=options.get("reset_on_launch", True),
        ready_timeout=options.get("ready_timeout", 30.0),
        device_id_source=lambda: first_device_id(braze, api_key),
        ios_simulator=getattr(target, "simulator", None) if target.platform == "ios" else None,
        push_source=lambda device_id: braze.push.outbox(device_id),
    )
    # runs before the factory's teardown closes the session: the screen is still there to be saved
    request.addfinalizer(lambda: _artifacts_on_failure(request, adapter))
    return adapter


def _artifacts_on_failure(request: Any, adapter: AppiumAdapter) -> None:
    node = request.node
    failed = [r for r in (getattr(node, "_braze_rep_setup", None), getattr(node, "_braze_rep_call", None)) if r and r.failed]
    if not failed:
        return
    from braze_harness.devices.appium.artifacts import save_artifacts

    folder = artifact_folder(request.config, node.nodeid, getattr(node, "execution_count", 1))
    saved = save_artifacts(adapter, folder)
    if hasattr(adapter.endpoint, "log_tail"):
        tail = "\n".join(line[:240] for line in adapter.endpoint.log_tail(12).splitlines())
    else:
        tail = "(a remote server: its log is where it runs)"
    failed[-1].sections.append((f"Appium (saved in {folder}: {', '.join(saved) or 'nothing'}) server log tail", tail))


def first_device_id(braze: Any, api_key: str) -> str | None:
    """The device id of the first request in the test's scope that carries `api_key` (None before any)."""
    for entry in braze.entries():
        if entry.api_key == api_key and entry.device_id:
            return entry.device_id
    return None
