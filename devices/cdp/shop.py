"""What the CDP shops' adapters share: the shop page in one Playwright page, driven through `window.shop`, with a
capability table (`require`) deciding what the CDP's Braze integration can do, and the factory plumbing (the shop's
static site, a Braze browser context with the CDP's hosts answered locally). Each CDP's adapter (mparticle/,
segment/) adds only how its actions reach the CDP and what its integration cannot forward."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode

from braze_harness.adapters.base import ATTRIBUTE_KINDS, AppAdapter, AttributeKind, Capabilities, require
from braze_harness.devices.cdp.kinds import kind_of
from braze_harness.devices.web.screen import WebScreen
from braze_harness.devices.web.static_site import StaticSite
from braze_harness.errors import HarnessError
from braze_harness.protocol.web_sdk_versions import missing_reason
from playwright.sync_api import Page


def with_braze_sdk_features(capabilities: Capabilities, braze_web_sdk_version: str) -> Capabilities:
    """`capabilities` with what the integration's own Braze Web SDK lacks (its feature table: `web_sdk_versions.py`)."""
    return {**capabilities, "refresh_banners": missing_reason(braze_web_sdk_version, "banners")}


class CdpShopAdapter(AppAdapter):
    """The shop page (`shop.html?<query>`) of one CDP. Subclasses set `name` (as limitations name it) and `cdp` (as
    errors name the shop), and implement the actions that go through the CDP."""

    name: ClassVar[str]
    cdp: ClassVar[str]

    def __init__(
        self,
        page: Page,
        site_url: str,
        query: Mapping[str, str],
        *,
        braze_web_sdk_version: str,
        capabilities: Capabilities,
        timeout_s: float = 10.0,
    ) -> None:
        self.page = page
        self.braze_web_sdk_version = braze_web_sdk_version  # the integration's own Braze SDK: its retries, its features
        self.capabilities = with_braze_sdk_features(capabilities, braze_web_sdk_version)
        self.url = f"{site_url.rstrip('/')}/shop.html?{urlencode(query)}"
        self._timeout_ms = timeout_s * 1000
        self._clock_installed = False

    def _require(self, capability: str) -> None:
        require(self.capabilities, capability, self.name)

    # ---- lifecycle ----

    def launch(self) -> None:
        if not self._clock_installed:
            self.page.clock.install()
            self._clock_installed = True
        self.page.goto(self.url)
        self._wait_ready()

    def reload(self) -> None:
        self.page.reload()
        self._wait_ready()

    def close(self) -> None:
        if not self.page.is_closed():
            self.page.close()

    def advance_time(self, seconds: float) -> None:
        if not self._clock_installed:
            raise RuntimeError("advance_time() needs launch() first (it installs the Playwright clock)")
        self.page.clock.fast_forward(round(seconds * 1000))

    @property
    def device_id(self) -> str | None:
        return self.page.evaluate("window.shop.brazeDeviceId()") or None

    # ---- actions both CDPs forward the same way ----

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
