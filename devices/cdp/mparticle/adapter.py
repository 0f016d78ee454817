"""`MParticleBrazeAdapter`: the demo shop's actions through mParticle's Web SDK and its Braze kit, in a Playwright page.

Use it as the suites' app: `--braze-adapter braze_harness.devices.cdp.mparticle.adapter:mparticle_app`. What the kit
cannot forward is declared in `CAPABILITIES` (from the kit's source, `@mparticle/web-braze-kit` 4.1.3); a test asking
for it is skipped with that limitation named (`AdapterLimitation`).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from braze_harness.adapters.base import (
    ATTRIBUTE_KINDS,
    STANDARD_PROFILE_FIELDS,
    AppAdapter,
    AttributeKind,
    Capabilities,
    check_profile_fields,
    require,
)
from braze_harness.devices.cdp.kinds import kind_of
from braze_harness.devices.cdp.mparticle.bundle import embedded_braze_version, ensure_bundle
from braze_harness.devices.cdp.mparticle.service import MParticleService
from braze_harness.devices.web.screen import WebScreen
from braze_harness.devices.web.static_site import StaticSite
from braze_harness.errors import HarnessError
from braze_harness.protocol.web_sdk_versions import missing_reason
from playwright.sync_api import Page

SHOP_DIR = Path(__file__).resolve().parent
BUNDLE_ROUTE = "/sdk/mparticle.js"
NAME = "mParticle's Braze kit"

# the standard fields the kit maps (its DefaultAttributeMethods); `language` is not among them
_KIT_PROFILE_FIELDS = tuple(f for f in STANDARD_PROFILE_FIELDS if f != "language")
_NOT_FORWARDED = "mParticle user attributes are strings, numbers, booleans or string lists"
CAPABILITIES: Capabilities = {
    "login": None,
    "logout": None,
    "log_event": None,
    "log_event:nested-properties": "mParticle event attributes are flat: a date, object or list property never reaches the kit",
    "purchase": None,
    "set_profile": None,
    **{f"set_profile:{f}": None for f in _KIT_PROFILE_FIELDS},
    "set_profile:language": "the kit maps no mParticle attribute to Braze's language (it would become a custom attribute)",
    "set_custom_attribute:auto": None,
    "set_custom_attribute:string": None,
    "set_custom_attribute:number": None,
    "set_custom_attribute:boolean": None,
    "set_custom_attribute:array": None,  # setUserAttributeList -> setCustomUserAttribute(key, [..])
    "set_custom_attribute:null": None,  # removeUserAttribute -> setCustomUserAttribute(key, null)
    "set_custom_attribute:date": f"{_NOT_FORWARDED}: no date reaches the kit",
    "set_custom_attribute:object": f"{_NOT_FORWARDED}: no nested object reaches the kit",
    "set_custom_attribute:object-merge": f"{_NOT_FORWARDED}: no nested object reaches the kit",
    "set_custom_attribute:increment": "mParticle has no increment call: the kit only sets values",
    "set_custom_attribute:add-to-array": "the kit sets whole lists (setUserAttributeList), never adds to one",
    "set_custom_attribute:remove-from-array": "the kit sets whole lists (setUserAttributeList), never removes from one",
    "set_custom_attribute:location": "neither mParticle nor the kit has a location attribute call",
    "show_content_cards": None,  # window.braze.showContentCards: the kit leaves Content Cards to Braze's own API
    "refresh_content_cards": None,
    "refresh_banners": None,  # decided by the Braze Web SDK the kit carries (`capabilities_for`)
    "sdk_authentication": "the kit calls changeUser(id) without a signature and never setSdkAuthenticationSignature",
}


def capabilities_for(braze_web_sdk_version: str) -> Capabilities:
    """`CAPABILITIES` with what the kit's own Braze Web SDK lacks (its feature table: `web_sdk_versions.py`)."""
    return {**CAPABILITIES, "refresh_banners": missing_reason(braze_web_sdk_version, "banners")}


def shop_site() -> StaticSite:
    """A (not yet started) site serving the shop page with the mParticle + Braze kit bundle."""
    return StaticSite(SHOP_DIR, {BUNDLE_ROUTE: ensure_bundle()})


class MParticleBrazeAdapter(AppAdapter):
    """The shop page in one Playwright page whose mParticle hosts `service` answers (and journals)."""

    def __init__(
        self,
        page: Page,
        site_url: str,
        *,
        braze_api_key: str,
        braze_base_url: str,
        mparticle_key: str = "us1-qa-harness",
        session_timeout: float | None = None,
        init_options: Mapping[str, Any] | None = None,
        kit_settings: Mapping[str, str] | None = None,
        logging: bool = False,
        timeout_s: float = 10.0,
    ) -> None:
        self.page = page
        self.braze_web_sdk_version = embedded_braze_version()  # the kit's own copy: its retry schedule, its features
        self.capabilities = capabilities_for(self.braze_web_sdk_version)
        braze_options = dict(init_options or {})
        if braze_options.get("enableSdkAuthentication"):
            self._require("sdk_authentication")
        settings = dict(kit_settings or {})
        if session_timeout is not None:
            settings["ABKSessionTimeoutKey"] = f"{session_timeout:g}"
        query = {
            "mpKey": mparticle_key,
            "brazeKey": braze_api_key,
            "brazeBaseUrl": braze_base_url,
            "options": json.dumps({"kitSettings": settings, "brazeInitOptions": braze_options}),
        }
        if logging:
            query["logging"] = "1"
        self.url = f"{site_url.rstrip('/')}/shop.html?{urlencode(query)}"
        self._timeout_ms = timeout_s * 1000
        self._clock_installed = False
        self._purchases = 0

    def _require(self, capability: str) -> None:
        require(self.capabilities, capability, NAME)

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

    # ---- actions: each through mParticle only ----

    def login(self, user_id: str, signature: str | None = None) -> bool | None:
        if signature is not None:
            self._require("sdk_authentication")
        self._shop("login", user_id)
        return None

    def logout(self) -> bool | None:
        self._shop("logout")
        return None

    def set_profile(self, **standard_fields: str) -> Mapping[str, bool] | None:
        check_profile_fields(standard_fields)
        for name in standard_fields:
            self._require(f"set_profile:{name}")
        values = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in standard_fields.items()}
        self._shop("setProfile", {k: values[k] for k in STANDARD_PROFILE_FIELDS if k in values})
        return None

    def set_custom_attribute(self, key: str, value: Any, *, kind: AttributeKind = "auto") -> bool | None:
        if kind not in ATTRIBUTE_KINDS:
            raise ValueError(f"unknown attribute kind {kind!r}; known: {', '.join(ATTRIBUTE_KINDS)}")
        self._require(f"set_custom_attribute:{kind_of(value) if kind == 'auto' else kind}")
        self._shop("setAttribute", key, None if kind == "null" else value)
        return None

    def log_event(self, name: str, properties: Mapping[str, Any] | None = None) -> bool | None:
        if properties and any(isinstance(v, (dt.date, Mapping, list, tuple)) for v in properties.values()):
            self._require("log_event:nested-properties")
        self._shop("logEvent", name, dict(properties or {}))
        return None

    def purchase(
        self,
        product_id: str,
        price: float,
        currency: str = "USD",
        quantity: int = 1,
        properties: Mapping[str, Any] | None = None,
    ) -> bool | None:
        self._purchases += 1
        transaction = f"t-{secrets.token_hex(4)}-{self._purchases}"
        self._shop("purchase", product_id, price, currency, quantity, dict(properties or {}), transaction)
        return None

    def flush(self) -> None:
        self._shop("flush")

    # ---- messaging: the kit displays in-app messages itself (`register_inapp`); the rest is Braze's own API ----

    @property
    def screen(self) -> WebScreen:
        """What the kit's Braze SDK displays in the page (in-app messages, the feed), for `OnScreen`."""
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
            raise HarnessError(f"the mParticle shop did not start: {state} ({self.url})")


_SITES: dict[str, StaticSite] = {}


def mparticle_app(*, request: Any, braze: Any, api_key: str, **options: Any) -> MParticleBrazeAdapter:
    """`--braze-adapter` factory: the shop in a new Braze browser context whose mParticle hosts are answered locally and
    journaled in the test's scope (`braze.entries()` shows both sides: sources `mparticle` and `emulator`)."""
    site = _SITES.get("shop")
    if site is None:
        site = _SITES["shop"] = shop_site()
        site.start()
    context = request.getfixturevalue("braze_new_context")()
    MParticleService(braze.client, braze.scope).attach(context)
    base_url = request.getfixturevalue("braze_sdk_base_url")
    return MParticleBrazeAdapter(context.new_page(), site.url, braze_api_key=api_key, braze_base_url=base_url, **options)
