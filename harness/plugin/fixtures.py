"""The plugin's fixtures: session-wide emulator and demo site, per-test handle and app adapter."""

from __future__ import annotations

import importlib
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from braze_harness.client import EmulatorClient
from braze_harness.dataplan.datapoints import ledger_of
from braze_harness.errors import HarnessConfigError
from braze_harness.expect.workspaces import warn_stray
from braze_harness.journal import JournalEntry, Query
from braze_harness.plugin import fixed_keys
from braze_harness.plugin.artifacts import TIMELINE, Timeline, scope_name, timeline_wanted
from braze_harness.plugin.embedded import start_embedded
from braze_harness.plugin.handle import BrazeHandle
from braze_harness.plugin.report_data import PROPERTY, test_data
from braze_harness.timeline import attribute_changes


@pytest.fixture(scope="session")
def braze_emulator_url(pytestconfig: pytest.Config) -> str:
    """Base URL of the emulator every test talks to (the SDK's `baseUrl`)."""
    url = pytestconfig.getoption("--braze-emulator-url")
    if url:
        return url.rstrip("/")
    worker_input = getattr(pytestconfig, "workerinput", None)
    if worker_input and worker_input.get("braze_emulator_url"):
        return worker_input["braze_emulator_url"]
    return start_embedded(pytestconfig)


@pytest.fixture(scope="session")
def braze_client(pytestconfig: pytest.Config, braze_emulator_url: str) -> Generator[EmulatorClient]:
    client = EmulatorClient(braze_emulator_url, token=pytestconfig.getoption("--braze-emulator-token"))
    try:
        client.health()
        client.stats()  # health is open to anyone: this one says now whether the token (if needed) is right
    except HarnessConfigError as exc:
        pytest.exit(f"braze: {exc}", returncode=4)
    yield client
    client.close()


@pytest.fixture
def braze(request: pytest.FixtureRequest, braze_client: EmulatorClient) -> Generator[BrazeHandle]:
    """This test's scope on the emulator: `braze.expect`, `braze.profile()`, `braze.api_key`, `braze.uid()`."""
    config = request.config
    keys = fixed_keys.of(config)  # --braze-api-key: the site's own keys, shared; tests claim devices
    handle = BrazeHandle(
        braze_client,
        name=scope_name(request.node.name),
        api_key=keys[0].api_key if keys else None,
        timeout=config.getoption("--braze-timeout"),
    )
    started = time.time()
    try:
        fixed_keys.attach(request, handle, keys)
        yield handle
        handle.publish_calls()  # the last ones, while the scope (and the dashboard's picture of it) still exists
        raised = braze_client.errors(handle.scope)
        entries = braze_client.entries(Query(scope=handle.scope))
        off_plan = _plan_problems(entries)
        if off_plan:  # listed per test in the run's summary; failing only in strict mode
            request.node.user_properties.append(("braze_data_plan", off_plan[:20]))
        if not config.getoption("--braze-data-plan-strict"):
            off_plan = []
        points = ledger_of(entries).total()
        # traffic in a workspace no expectation looked in: a build on another workspace's key (expect/workspaces.py)
        warn_stray(entries, handle.workspace_keys(), looked_in=handle.expect.looked)
        request.node.user_properties.append(("braze_data_points", f"{points.used} used, {points.wasted} wasted"))
        report, drawn = config.getoption("--braze-report"), timeline_wanted(config)
        stopped = time.time()
        # the attributes set during the test (its scope's profiles keep when each was last set)
        attributes = attribute_changes(handle.profiles(), started, stopped) if report or drawn else []
        if report:  # this test's part of the run's report (plugin/report.py)
            data = test_data(handle.scope, entries, handle.verdicts.all(), calls=handle.calls.all(), attributes=attributes)
            request.node.user_properties.append((PROPERTY, data))
        if drawn:  # drawn after the teardown, if it is kept (artifacts.keep_timeline)
            title = f"{request.node.nodeid} — scope {handle.scope}"
            request.node.stash[TIMELINE] = Timeline(
                title, handle.scope, entries, handle.verdicts.all(), started, stopped, handle.calls.all(), attributes
            )
    finally:
        fixed_keys.detach(handle)
        handle.close()
    if off_plan:
        shown = "\n".join(off_plan[:20]) + (f"\n... and {len(off_plan) - 20} more" if len(off_plan) > 20 else "")
        pytest.fail(f"this test's traffic breaks the data plan ({len(off_plan)} problem(s)):\n{shown}", pytrace=False)
    if raised:
        # what the emulator raised while serving this test's traffic is this test's failure, never only a server log
        shown = "\n".join(f"{e['where']}: {e['error']}\n{e['traceback']}" for e in raised)
        pytest.fail(f"the emulator raised {len(raised)} error(s) while this test ran:\n{shown}", pytrace=False)


def _plan_problems(entries: list[JournalEntry]) -> list[str]:
    """`#seq where: message` for each data plan problem of the scope's journal entries."""
    return [
        f"#{entry.seq} {problem.where}: {problem.message}"
        for entry in entries
        for problem in entry.problems
        if problem.severity == "plan"
    ]


@pytest.fixture(scope="session")
def braze_web_sdk_bundle(pytestconfig: pytest.Config) -> Path:
    """The real @braze/web-sdk, bundled with esbuild (cached per version)."""
    from braze_harness.devices.web.sdk_bundle import ensure_bundle

    version = pytestconfig.getoption("--braze-web-sdk-version")
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")

    def log(message: str) -> None:
        if reporter is not None:
            reporter.write_line(f"braze: {message}")

    try:
        return ensure_bundle(version, log=log)
    except HarnessConfigError as exc:
        pytest.exit(f"braze: {exc}", returncode=4)


@pytest.fixture(scope="session")
def braze_demo_site(braze_web_sdk_bundle: Path) -> Generator[str]:
    """Base URL of the demo web app (its own origin, so the SDK's CORS preflights are real)."""
    from braze_harness.devices.web.demo.adapter import demo_site

    site = demo_site(braze_web_sdk_bundle)
    url = site.start()
    yield url
    site.stop()


@pytest.fixture(scope="session")
def braze_proxy(pytestconfig: pytest.Config, braze_emulator_url: str) -> Generator[Any]:
    """With `--braze-proxy`: mitmproxy (in this process) with the Braze addon in emulate mode, forwarding
    SDK requests to the emulator and refusing every other non-loopback host; None without the option.

    `.url` is the proxy for the browser, `.ca_cert` the run's CA, `.chromium_args()` the SPKI flag trusting it."""
    if not pytestconfig.getoption("--braze-proxy"):
        yield None
        return
    from braze_harness.proxy.runner import InProcessProxy

    proxy = InProcessProxy(
        mode="emulate",
        emulator_url=braze_emulator_url,
        allow_hosts=pytestconfig.getoption("--braze-proxy-allow-hosts") or None,
    )
    try:
        proxy.start()
    except Exception as exc:
        pytest.exit(f"braze: could not start mitmproxy for --braze-proxy: {exc}", returncode=4)
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def braze_sdk_base_url(pytestconfig: pytest.Config, braze_emulator_url: str) -> str:
    """The SDK `baseUrl` the app under test gets: the emulator's URL, or with `--braze-proxy` a real
    Braze host (`https://sdk.iad-01.braze.com`) that the proxy answers from the emulator."""
    if pytestconfig.getoption("--braze-proxy"):
        return f"https://{pytestconfig.getoption('--braze-proxy-host')}"
    return braze_emulator_url


@pytest.fixture
def braze_har(pytestconfig: pytest.Config) -> Any:
    """`load(path) -> Expect`: a HAR (Playwright, Chrome DevTools, BrowserStack, Sauce Labs) decoded into a
    fresh in-memory journal and profiles, so the same expectations run on a capture after the fact.

    Expectations do not wait on a capture (default timeout 0): what is not in the file fails at once."""
    from braze_harness.emulator.app import Emulator
    from braze_harness.expect import Expect, JournalSource
    from braze_harness.har import import_har

    def load(path: str | Path, *, timeout: float = 0.0) -> Expect:
        emulator = Emulator()
        import_har(path, emulator)
        return Expect(JournalSource(emulator.journal, state=emulator.state), default_timeout=timeout)

    return load


@pytest.fixture
def braze_page(request: pytest.FixtureRequest, braze: BrazeHandle) -> Any:
    """A page for your own site under Braze, no adapter needed: a Braze browser context (the run's proxy with
    `--braze-proxy`, so a Braze host written into the site is answered by the emulator; the block of other hosts;
    Debian's Chromium when Playwright's own is absent), claimed by this test for `--braze-api-key` keys.
    pytest-playwright's own `page` stays untouched: use it when the site already points at the emulator."""
    context = _braze_context_factory(request)()
    braze.claim_context(context)
    return context.new_page()


@pytest.fixture
def braze_app_factory(request: pytest.FixtureRequest, braze: BrazeHandle, braze_sdk_base_url: str) -> Generator[Any]:
    """`make(api_key=None, **options)` -> another instance of the app under test, on a new device
    (for the web demo: the worker's warm page first, reset at teardown, then new browser contexts: warm_page.py).
    Everything else it made is closed at teardown. Each app's calls are
    recorded for the test's timeline (`braze.record`: the same object, in a lane of its own)."""
    marker = request.node.get_closest_marker("braze_app")
    defaults: dict[str, Any] = dict(marker.kwargs) if marker else {}
    # --braze-adapter wins; else the target's adapter (None: the web demo below)
    factory_path = request.config.getoption("--braze-adapter") or target_adapter(request.config)
    made: list[Any] = []
    leased: list[Any] = []
    warm: Any = None

    def make(api_key: str | None = None, **options: Any) -> Any:
        nonlocal warm
        opts = {**defaults, **options}
        if factory_path:
            app = _custom_factory(factory_path)(request=request, braze=braze, api_key=api_key or braze.api_key, **opts)
        else:
            if fixed_keys.of(request.config):  # the site's key with the bundled demo: not what the user meant to test
                raise HarnessConfigError(fixed_keys.NO_ADAPTER)
            from braze_harness.devices.web.demo.adapter import WebDemoAdapter

            # the worker's warm page, else a Braze context of its own (braze_context.py): pytest-playwright's
            # page/context stay untouched
            if not made:
                warm = _warm_page(request)
            page = warm.lease() if warm is not None else None
            if page is not None:
                leased.append(page)
            else:
                page = _braze_context_factory(request)().new_page()
            app = WebDemoAdapter(
                page,
                request.getfixturevalue("braze_demo_site"),
                api_key=api_key or braze.api_key,
                base_url=braze_sdk_base_url,
                device_id=braze.new_device_id(),
                push_source=braze.push.outbox,  # read, not drained
                **opts,
            )
        app = braze.record(app)
        made.append(app)
        return app

    yield make
    for app in reversed(made):
        if getattr(app, "page", None) in leased:
            warm.release(app.page)  # reset for the next test instead of closed
        else:
            app.close()


def _warm_page(request: pytest.FixtureRequest) -> Any:
    from braze_harness.plugin.braze_context import warm_page_allowed

    if not request.config.pluginmanager.hasplugin("playwright"):
        return None
    if not warm_page_allowed(request, request.getfixturevalue("browser_name")):
        return None
    return request.getfixturevalue("braze_warm_page")


def _braze_context_factory(request: pytest.FixtureRequest) -> Any:
    if not request.config.pluginmanager.hasplugin("playwright"):
        raise HarnessConfigError("the web demo app needs pytest-playwright, which is disabled in this run (-p no:playwright)")
    return request.getfixturevalue("braze_new_context")


@pytest.fixture(scope="session")
def braze_target(pytestconfig: pytest.Config) -> Any:
    """The target the suites run on (`--braze-target`, default `web`): `.name`, `.kind`, `.platform`, `.app_id`,
    `.appium_url`, `.capabilities(api_key=, endpoint=, ca_pem=)`, `.reset_commands()`, `.launch_command(...)`
    (see devices/targets)."""
    return _target_of(pytestconfig)


def _target_of(config: pytest.Config) -> Any:
    target = getattr(config, "braze_target", None)
    if target is None:  # options not validated (e.g. a plugin test calling fixtures directly): the default
        from braze_harness.devices.targets import builtin_targets

        target = builtin_targets()["web"]
    return target


def target_adapter(config: pytest.Config) -> str | None:
    """The adapter factory (`module:factory`) of the selected target; None for the web demo."""
    return _target_of(config).adapter


@pytest.fixture
def braze_app(braze_app_factory: Any) -> Any:
    """The app under test behind the AppAdapter interface (default: the demo web app in a Playwright page).

    `@pytest.mark.braze_app(session_timeout=10, ...)` passes options to the adapter.
    """
    return braze_app_factory()


def _custom_factory(path: str) -> Any:
    module_name, _, attr = path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise HarnessConfigError(f"--braze-adapter {path}: {exc}") from None
