"""Runs one scripted flow on the real Web SDK of a version and returns its traffic's shape.

The flow drives the bundled demo web app in Chromium against an emulator of its own. Each version gets a fresh
emulator, a fresh browser and the same steps. A step the version cannot do (a function it lacks) is reported as a
difference of its own, never left out silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from braze_harness.devices.web.chromium import CHROMIUM_ARGS, find_chromium
from braze_harness.devices.web.demo.adapter import WebDemoAdapter, demo_site
from braze_harness.devices.web.sdk_bundle import ensure_bundle
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.errors import HarnessConfigError
from braze_harness.journal import Exchange
from braze_harness.sdk_drift.shape import SdkShape, shape_of

API_KEY = "drift-web-key"
USER = "drift-user-1"
_INIT_OPTIONS = {"allowUserSuppliedJavascript": True}


@dataclass
class FlowResult:
    version: str
    shape: SdkShape
    failed_steps: dict[str, str] = field(default_factory=dict)  # step -> why
    requests: int = 0
    exchanges: list[Exchange] = field(default_factory=list)  # the raw traffic, in order (`braze-harness record-sdk`)
    steps: list[str] = field(default_factory=list)  # the flow's step names, in order


def _steps(app: WebDemoAdapter) -> list[tuple[str, Callable[[], object]]]:
    return [
        ("anonymous session and event", lambda: (app.launch(), app.log_event("drift_anonymous", {"n": 1}), app.flush())),
        ("changeUser", lambda: (app.login(USER), app.flush())),
        ("standard attributes", lambda: (app.set_profile(first_name="Ada", email="ada@example.com"), app.flush())),
        ("custom attributes", lambda: (app.set_custom_attribute("tier", "gold"), app.set_custom_attribute("visits", 3))),
        ("custom attribute operations", lambda: _attribute_operations(app)),
        ("nested custom attributes", lambda: _nested_attributes(app)),
        ("custom event with properties", lambda: (app.log_event("drift_event", {"k": "v", "x": 1.5}), app.flush())),
        ("purchase", lambda: (app.purchase("drift_pack", 1.99, properties={"gift": True}), app.flush())),
        ("content cards refresh", lambda: (app.refresh_content_cards(), app.flush())),
        ("banners refresh", lambda: (app.refresh_banners(), app.flush())),
        ("session end after the timeout", lambda: (app.advance_time(3600), app.log_event("drift_next_session"), app.flush())),
    ]


def _attribute_operations(app: WebDemoAdapter) -> None:
    app.set_custom_attribute("visits", 2, kind="increment")
    app.set_custom_attribute("tags", ["a", "b"])
    app.set_custom_attribute("tags", "c", kind="add-to-array")
    app.set_custom_attribute("tags", "a", kind="remove-from-array")
    app.set_custom_attribute("home", (51.5, -0.12), kind="location")
    app.flush()


def _nested_attributes(app: WebDemoAdapter) -> None:
    # an SDK without nested attributes (before 4.7.0) refuses an object with `false`: a step it cannot do
    if app.set_custom_attribute("pet", {"name": "Rex", "age": 3}) is False:
        raise AssertionError("setCustomUserAttribute refused an object value (nested custom attributes)")
    app.set_custom_attribute("pet", {"age": 4}, kind="object-merge")
    app.flush()


def run_flow(version: str, *, log: Callable[[str], None] = lambda _m: None) -> FlowResult:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    bundle = ensure_bundle(version, log=log)
    chromium = find_chromium()
    if chromium is None:
        raise HarnessConfigError("no Chromium found: install Debian's chromium or set $BRAZE_CHROMIUM")
    result = FlowResult(version, SdkShape())
    site = demo_site(bundle)
    site_url = site.start()
    try:
        with EmulatorServer(EmulatorSettings(port=0)) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                # Web SDK 5.8.1-6.5.0 (npm sources) refuse requestBannersRefresh without this option (a console
                # error, no request): without it the banners step would do nothing on them, silently
                app = WebDemoAdapter(page, site_url, api_key=API_KEY, base_url=server.url, init_options=_INIT_OPTIONS)
                for name, step in _steps(app):
                    result.steps.append(name)
                    log(f"{version}: {name}")
                    try:
                        step()
                    except (PlaywrightError, TimeoutError, HarnessConfigError, AssertionError) as exc:
                        result.failed_steps[name] = str(exc).splitlines()[0][:160]
                    except Exception as exc:  # the demo app refusing an action on this version
                        result.failed_steps[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
                app.close()
            finally:
                browser.close()
            entries = server.emulator.journal.query()
            result.requests = len(entries)
            result.exchanges = [entry.exchange for entry in entries]
            result.shape = shape_of(entries)
    finally:
        site.stop()
    return result
