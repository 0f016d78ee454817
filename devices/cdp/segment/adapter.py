"""`SegmentBrazeAdapter`: the demo shop's actions through Segment's analytics-next and its Braze web-mode destination.

Use it as the suites' app: `--braze-adapter braze_harness.devices.cdp.segment.adapter:segment_app`. What the
destination cannot do with its default mappings is declared in `CAPABILITIES` (from its source,
`@segment/analytics-browser-actions-braze` 1.6.0: the Identify Calls, Track Calls and Order Completed calls presets);
a test asking for it is skipped with that limitation named (`AdapterLimitation`).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from braze_harness.adapters.base import Capabilities
from braze_harness.devices.cdp.segment.bundle import braze_web_sdk_version, ensure_braze_bundle, ensure_bundle
from braze_harness.devices.cdp.segment.service import SegmentService, serve_braze_sdk
from braze_harness.devices.cdp.shop import CdpShopAdapter, shop_files, shop_page
from braze_harness.devices.web.static_site import StaticSite
from braze_harness.protocol.cdp import ORDER_COMPLETED
from playwright.sync_api import Page

SHOP_DIR = Path(__file__).resolve().parent
BUNDLE_ROUTE = "/sdk/segment.js"
NAME = "Segment's Braze destination"

# set_profile field -> (where the shop puts it, the name there): a trait, or the identify's context
PROFILE_SOURCES: dict[str, tuple[str, str]] = {
    "first_name": ("trait", "firstName"),
    "last_name": ("trait", "lastName"),
    "email": ("trait", "email"),
    "gender": ("trait", "gender"),
    "phone": ("trait", "phone"),
    "home_city": ("trait", "address.city"),
    "country": ("context", "location.country"),
}
_NO_SOURCE = "the destination's default Identify mapping reads Braze's {0} from no trait (a `{0}` trait is reserved: dropped)"
_JSON_TRAITS = "Segment traits travel as JSON and the destination passes them on as they are"
CAPABILITIES: Capabilities = {
    "login": None,  # analytics.identify(userId) -> changeUser(userId)
    "logout": "the destination forwards no reset(): the Braze user stays identified (the Web SDK has no logout)",
    "log_event": None,  # analytics.track(name, props) -> logCustomEvent(name, props)
    "log_event:nested-properties": None,  # props are passed as they are; the Braze SDK decides (`nested_*` features)
    "purchase": None,  # track('Order Completed', {products: [..]}) -> logPurchase per product
    "set_profile": None,
    **{f"set_profile:{f}": None for f in PROFILE_SOURCES},
    **{f"set_profile:{f}": _NO_SOURCE.format(f) for f in ("dob", "language", "email_subscribe", "push_subscribe")},
    "set_custom_attribute:auto": None,
    "set_custom_attribute:string": None,
    "set_custom_attribute:number": None,
    "set_custom_attribute:boolean": None,
    "set_custom_attribute:array": None,  # a list trait -> setCustomUserAttribute(key, [..])
    "set_custom_attribute:null": None,  # a null trait -> setCustomUserAttribute(key, null)
    "set_custom_attribute:date": f"{_JSON_TRAITS}: a date arrives as an ISO string, a string attribute",
    "set_custom_attribute:object": None,  # an object trait -> setCustomUserAttribute(key, {..}) (nested attribute)
    "set_custom_attribute:object-merge": "the destination calls setCustomUserAttribute(key, value) without merge",
    "set_custom_attribute:increment": "Segment has no increment call: a trait only sets a value",
    "set_custom_attribute:add-to-array": "traits set whole lists, never add to one",
    "set_custom_attribute:remove-from-array": "traits set whole lists, never remove from one",
    "set_custom_attribute:location": "the Identify mapping's current_location field has no default source trait",
    "sdk_authentication": "the destination calls changeUser(id) without a signature and never setSdkAuthenticationSignature",
    # Content Cards, banners, web push: Braze's own API, not Segment (devices/cdp/shop.py: BRAZE_DIRECT_CAPABILITIES)
}


def shop_site() -> StaticSite:
    """A (not yet started) site serving the shop page with the analytics-next + Braze destination bundle."""
    return StaticSite(SHOP_DIR, shop_files(BUNDLE_ROUTE, ensure_bundle()))


class SegmentBrazeAdapter(CdpShopAdapter):
    """The shop page in one Playwright page whose Segment hosts (and Braze's CDN script) are answered locally.

    `destination_settings`: the destination's settings (`sessionTimeoutInSeconds`, ...); `mapping_changes`: edits to its
    default subscriptions' mappings, as in Segment's UI: {preset name: {field: mapping, or None to unmap the field}},
    e.g. `{"Identify Calls": {"first_name": None}}`. `shop`: the options every shop takes (`CdpShopAdapter`: `logging`,
    `timeout_s`, `push_source`)."""

    name = NAME
    cdp = "Segment"

    def __init__(
        self,
        page: Page,
        site_url: str,
        *,
        braze_api_key: str,
        braze_base_url: str,
        write_key: str = "qa-harness-write-key",
        session_timeout: float | None = None,
        init_options: Mapping[str, Any] | None = None,
        destination_settings: Mapping[str, Any] | None = None,
        mapping_changes: Mapping[str, Mapping[str, Any]] | None = None,
        **shop: Any,
    ) -> None:
        settings = {**dict(init_options or {}), **dict(destination_settings or {})}  # Braze init options are settings
        if session_timeout is not None:
            settings["sessionTimeoutInSeconds"] = session_timeout
        query = {
            "writeKey": write_key,
            "brazeKey": braze_api_key,
            "brazeBaseUrl": braze_base_url,
            "options": json.dumps({"destinationSettings": settings, "mappingChanges": dict(mapping_changes or {})}),
        }
        # the destination's @braze/web-sdk, served at its CDN URL
        version = braze_web_sdk_version()
        sdk_auth = bool(settings.get("enableSdkAuthentication"))
        super().__init__(page, site_url, query, version, CAPABILITIES, sdk_authentication=sdk_auth, **shop)
        self._orders = 0

    # ---- actions: each through Segment's analytics only ----

    def logout(self) -> bool | None:
        self._require("logout")
        return None

    def set_profile(self, **standard_fields: str) -> Mapping[str, bool] | None:
        self._require_profile(standard_fields)
        traits: dict[str, Any] = {}
        context: dict[str, Any] = {}
        for name, value in standard_fields.items():
            where, path = PROFILE_SOURCES[name]
            _put(traits if where == "trait" else context, path, value)
        self._shop("identify", traits, context or None)
        return None

    def log_event(self, name: str, properties: Mapping[str, Any] | None = None) -> bool | None:
        self._shop("track", name, _jsonable(dict(properties or {})))
        return None

    def purchase(
        self,
        product_id: str,
        price: float,
        currency: str = "USD",
        quantity: int = 1,
        properties: Mapping[str, Any] | None = None,
    ) -> bool | None:
        """`Order Completed` with one product (Segment's ecommerce spec); `properties` are the order's (the
        destination makes them each purchase's properties); the currency is the product's, which the destination
        reads (an order-level `currency` is omitted by it)."""
        self._orders += 1
        order = f"o-{secrets.token_hex(4)}-{self._orders}"
        product = {"product_id": product_id, "price": price, "currency": currency, "quantity": quantity}
        props = {**_jsonable(dict(properties or {})), "order_id": order, "products": [product]}
        self._shop("track", ORDER_COMPLETED, props)
        return None


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    head, _, rest = path.partition(".")
    if rest:
        _put(target.setdefault(head, {}), rest, value)
    else:
        target[head] = value.isoformat() if isinstance(value, dt.date) else value


def _jsonable(value: Any) -> Any:
    """What a page's analytics.track receives from JSON-minded code: dates as ISO strings (Segment's convention)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def segment_app(*, request: Any, braze: Any, api_key: str, **options: Any) -> SegmentBrazeAdapter:
    """`--braze-adapter` factory: the shop in a new Braze browser context whose Segment hosts are answered locally and
    journaled in the test's scope (`braze.entries()` shows both sides: sources `segment` and `emulator`)."""

    def attach(context: Any) -> None:
        SegmentService(braze.client, braze.scope).attach(context)
        serve_braze_sdk(context, ensure_braze_bundle())

    page, site_url = shop_page(request, "segment", shop_site, attach)
    base_url = request.getfixturevalue("braze_sdk_base_url")
    return SegmentBrazeAdapter(
        page, site_url, braze_api_key=api_key, braze_base_url=base_url, push_source=braze.push.outbox, **options
    )
