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

from braze_harness.adapters.base import STANDARD_PROFILE_FIELDS, Capabilities
from braze_harness.devices.cdp.mparticle.bundle import embedded_braze_version, ensure_bundle
from braze_harness.devices.cdp.mparticle.service import MParticleService
from braze_harness.devices.cdp.shop import CdpShopAdapter, shop_files, shop_page
from braze_harness.devices.web.static_site import StaticSite
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
    "sdk_authentication": "the kit calls changeUser(id) without a signature and never setSdkAuthenticationSignature",
    # Content Cards, banners, web push: Braze's own API, not the kit (devices/cdp/shop.py: BRAZE_DIRECT_CAPABILITIES)
}


def shop_site() -> StaticSite:
    """A (not yet started) site serving the shop page with the mParticle + Braze kit bundle."""
    return StaticSite(SHOP_DIR, shop_files(BUNDLE_ROUTE, ensure_bundle()))


class MParticleBrazeAdapter(CdpShopAdapter):
    """The shop page in one Playwright page whose mParticle hosts `service` answers (and journals). `shop`: the options
    every shop takes (`CdpShopAdapter`: `logging`, `timeout_s`, `push_source`)."""

    name = NAME
    cdp = "mParticle"

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
        **shop: Any,
    ) -> None:
        braze_options = dict(init_options or {})
        settings = dict(kit_settings or {})
        if session_timeout is not None:
            settings["ABKSessionTimeoutKey"] = f"{session_timeout:g}"
        query = {
            "mpKey": mparticle_key,
            "brazeKey": braze_api_key,
            "brazeBaseUrl": braze_base_url,
            "options": json.dumps({"kitSettings": settings, "brazeInitOptions": braze_options}),
        }
        # the kit's own copy of the Braze Web SDK: its retry schedule, its features
        version = embedded_braze_version()
        sdk_auth = bool(braze_options.get("enableSdkAuthentication"))
        super().__init__(page, site_url, query, version, CAPABILITIES, sdk_authentication=sdk_auth, **shop)
        self._purchases = 0

    # ---- actions: each through mParticle only ----

    def logout(self) -> bool | None:
        self._shop("logout")
        return None

    def set_profile(self, **standard_fields: str) -> Mapping[str, bool] | None:
        self._require_profile(standard_fields)
        values = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in standard_fields.items()}
        self._shop("setProfile", {k: values[k] for k in STANDARD_PROFILE_FIELDS if k in values})
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


def mparticle_app(*, request: Any, braze: Any, api_key: str, **options: Any) -> MParticleBrazeAdapter:
    """`--braze-adapter` factory: the shop in a new Braze browser context whose mParticle hosts are answered locally and
    journaled in the test's scope (`braze.entries()` shows both sides: sources `mparticle` and `emulator`)."""
    attach = MParticleService(braze.client, braze.scope).attach
    page, site_url = shop_page(request, "mparticle", shop_site, attach)
    base_url = request.getfixturevalue("braze_sdk_base_url")
    return MParticleBrazeAdapter(
        page, site_url, braze_api_key=api_key, braze_base_url=base_url, push_source=braze.push.outbox, **options
    )
