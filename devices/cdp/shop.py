"""What the CDP shops' adapters share: the shop page in one Playwright page (`PageApp`: its lifecycle on a controllable
clock), driven through `window.shop`, with a capability table (`require`) deciding what the CDP's Braze integration can
do; what a site does with Braze's own API beside the CDP (`window.braze`, loaded by the integration: Content Cards, web
push); and the factory plumbing (the shop's static site, a Braze browser context with the CDP's hosts answered
locally). Each CDP's adapter (mparticle/, segment/) adds only how its actions reach the CDP and what its integration
cannot forward."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode

from braze_harness.adapters.base import ATTRIBUTE_KINDS, AttributeKind, Capabilities, check_profile_fields, require
from braze_harness.devices.cdp.kinds import kind_of
from braze_harness.devices.web.page_app import PageApp
from braze_harness.devices.web.push import PUSH_STUB, PushSource, WebPush, service_worker_files
from braze_harness.devices.web.screen import WebScreen
from braze_harness.devices.web.static_site import StaticSite
from braze_harness.errors import HarnessError
from braze_harness.protocol.web_sdk_versions import missing_reason
from playwright.sync_api import Page

BRAZE_DIRECT = Path(__file__).resolve().parent / "braze_direct.js"  # the shops' use of Braze's own API (window.braze)


def shop_files(bundle_route: str, bundle: Path) -> dict[str, Path]:
    """A shop site's mounted files: its CDP bundle at `bundle_route`, the shops' `braze_direct.js`, and the Braze
    service worker at the site's root (where the integration's `serviceWorkerLocation` points)."""
    return {bundle_route: bundle, "/braze-direct.js": BRAZE_DIRECT, **service_worker_files()}


# What a shop does with Braze's own API (`window.braze`, braze_direct.js), the same whichever CDP loaded the SDK, as
# both vendors' docs allow: Content Cards, banners, web push (`requestPushPermission`, `unregisterPush`, the Braze
# service worker at the integration's `serviceWorkerLocation` setting: the worker logs a push click itself). Only the
# SDK's version limits them (`_SDK_FEATURE_OF`).
BRAZE_DIRECT_CAPABILITIES: Capabilities = {
    "show_content_cards": None,
    "refresh_content_cards": None,
    "refresh_banners": None,
    "enable_push": None,
    "disable_push_in_os": None,
    "unregister_push": None,
    "open_push": None,
}
# capability -> the Web SDK feature it needs (`web_sdk_versions.py`)
_SDK_FEATURE_OF = {"refresh_banners": "banners", "unregister_push": "null_push_token", "disable_push_in_os": "null_push_token"}


def shop_capabilities(cdp_capabilities: Capabilities, braze_web_sdk_version: str) -> Capabilities:
    """A shop's capability table: what its CDP's integration forwards (`cdp_capabilities`), what it does with Braze's
    own API, and what the integration's Braze Web SDK lacks (its feature table: `web_sdk_versions.py`)."""
    table = {**BRAZE_DIRECT_CAPABILITIES, **cdp_capabilities}
    lacking = {cap: table[cap] or missing_reason(braze_web_sdk_version, feature) for cap, feature in _SDK_FEATURE_OF.items()}
    return {**table, **lacking}


class CdpShopAdapter(PageApp):
    """The shop page (`shop.html?<query>`) of one CDP. Subclasses set `name` (as limitations name it) and `cdp` (as
    errors name the shop), and implement the actions that go through the CDP. Options every shop takes: `logging`
    (the CDP's and Braze's console logging), `timeout_s` (for the page), `push_source` (the pushes the browser's push
    service would hand a device: the emulator's outbox, for `open_push`)."""

    name: ClassVar[str]
    cdp: ClassVar[str]

    def __init__(
        self,
        page: Page,
        site_url: str,
        query: Mapping[str, str],
        braze_web_sdk_version: str,
        capabilities: Capabilities,
        *,
        sdk_authentication: bool = False,
        logging: bool = False,
        timeout_s: float = 10.0,
        push_source: PushSource | None = None,
    ) -> None:
        url = f"{site_url.rstrip('/')}/shop.html?{urlencode({**query, **({'logging': '1'} if logging else {})})}"
        super().__init__(page, url, timeout_s=timeout_s, init_scripts=[PUSH_STUB])
        self.braze_web_sdk_version = braze_web_sdk_version  # the integration's own Braze SDK: its retries, its features
        self.capabilities = shop_capabilities(capabilities, braze_web_sdk_version)
        self.push = WebPush(page, url, push_source=push_source, timeout_s=timeout_s)
        if sdk_authentication:  # the SDK would wait for a signature the integration never gives
            self._require("sdk_authentication")

    def _require(self, capability: str) -> None:
        require(self.capabilities, capability, self.name)

    def _require_profile(self, fields: Mapping[str, Any]) -> None:
        check_profile_fields(fields)
        for name in fields:
            self._require(f"set_profile:{name}")

    @property
    def device_id(self) -> str | None:
        return self.page.evaluate("window.shop.brazeDeviceId()") or None

    # ---- actions both CDPs forward the same way ----

    def login(self, user_id: str, signature: str | None = None) -> bool | None:
        """`window.shop.login`: the CDP's identify call, which its integration turns into `changeUser(id)`."""
        if signature is not None:
            self._require("sdk_authentication")
        self._shop("login", user_id)
        return None

    def set_custom_attribute(self, key: str, value: Any, *, kind: AttributeKind = "auto") -> bool | None:
        if kind not in ATTRIBUTE_KINDS:
            raise ValueError(f"unknown attribute kind {kind!r}; known: {', '.join(ATTRIBUTE_KINDS)}")
        self._require(f"set_custom_attribute:{kind_of(value) if kind == 'auto' else kind}")
        self._shop("setAttribute", key, None if kind == "null" else value)
        return None

    def flush(self) -> None:
        self._shop("flush")

    # ---- messaging: the integration displays in-app messages itself; the rest is Braze's own API (window.braze) ----

    @property
    def screen(self) -> WebScreen:
        """What the integration's Braze SDK displays in the page (in-app messages, the feed), for `OnScreen`."""
        return WebScreen(self.page)

    def show_content_cards(self) -> None:
        self._require("show_content_cards")
        self._shop("showContentCards")

    def refresh_content_cards(self) -> None:
        self._require("refresh_content_cards")
        self._shop("refreshContentCards")

    def refresh_banners(self) -> None:
        self._require("refresh_banners")

    # ---- web push: Braze's own API (the site's "Enable notifications"), the service worker the site hosts ----

    def enable_push(self) -> str | None:
        """The user clicks the site's "Enable notifications" and allows them: `braze.requestPushPermission()` registers
        the service worker the site hosts (the integration's `serviceWorkerLocation`), subscribes (stubbed) and sends
        the endpoint as `push_token`. Returns the endpoint."""
        self._require("enable_push")
        self.push.require_service_worker()
        self._shop("requestPush")
        return self.push.endpoint()

    def disable_push_in_os(self) -> None:
        """Notifications blocked in the browser settings; the SDK notices at its next session."""
        self._require("disable_push_in_os")
        self.push.block()

    def unregister_push(self) -> None:
        self._require("unregister_push")
        self._shop("unregisterPush")

    def open_push(self, delivery: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The web push reaches the service worker and the user clicks its notification (`WebPush.open`), then the
        shop opens (a reload: the SDK's openSession() fires the `push_click` IAM triggers)."""
        self._require("open_push")
        shown = self.push.open(delivery, self.device_id)
        self.reload()
        return shown

    # ---- page plumbing ----

    def _shop(self, action: str, *args: Any) -> Any:
        return self.page.evaluate("([action, args]) => window.shop[action](...args)", [action, list(args)])

    def _wait_ready(self) -> None:
        body = self.page.locator("body[data-shop-state]")
        body.wait_for(state="attached", timeout=self._timeout_ms)
        if body.get_attribute("data-shop-state") != "ready":
            state = self.page.get_by_test_id("status-sdk").inner_text()
            raise HarnessError(f"the {self.cdp} shop did not start: {state} ({self.url})")


_SITES: dict[str, StaticSite] = {}


def shop_page(
    request: Any, site_key: str, make_site: Callable[[], StaticSite], attach: Callable[[Any], None]
) -> tuple[Page, str]:
    """For an adapter factory: a new page in a new Braze browser context that `attach` has set up (the CDP's hosts
    answered and journaled), and the URL of the shop's site (started once per process, shared by its tests)."""
    site = _SITES.get(site_key)
    if site is None:
        site = _SITES[site_key] = make_site()
        site.start()
    context = request.getfixturevalue("braze_new_context")()
    attach(context)
    return context.new_page(), site.url
