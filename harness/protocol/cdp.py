"""Wire knowledge of a customer data platform in front of Braze: mParticle's Web SDK traffic.

The harness answers mParticle's hosts locally (`devices/cdp/mparticle/service.py`) and journals each exchange with
source `mparticle`. The decoder keeps such a request as text with an `info` note (it is not a Braze SDK request);
`mparticle_calls` reads what the app asked mParticle to do from those entries: who it identified, the attributes it
set, the custom events and purchases it logged (mParticle's Events API batch format).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

MPARTICLE_SOURCE = "mparticle"
MPARTICLE_HOSTS = ("jssdks.mparticle.com", "jssdkcdns.mparticle.com", "identity.mparticle.com", "nativesdks.mparticle.com")
MPARTICLE_URLS = re.compile(r"^https?://(?:" + "|".join(re.escape(h) for h in MPARTICLE_HOSTS) + r")(?::\d+)?/")
_IDENTITY_CALL = re.compile(r"^/v1/(identify|login|logout|\d+/modify)$")

CallKind = Literal["identify", "attribute", "event", "purchase"]


def cdp_of(url: str) -> str | None:
    """`mparticle` for a URL on one of mParticle's hosts, else None."""
    return MPARTICLE_SOURCE if urlsplit(url).hostname in MPARTICLE_HOSTS else None


@dataclass(frozen=True, slots=True)
class CdpCall:
    """One thing the app asked the CDP to do, as it went over the CDP's wire.

    `identify`: `name` = the customer id; `attribute`: `name`, `value` (None: removed); `event`: `name`, `properties`;
    `purchase`: one product of a purchase: `name` = its id (SKU), `value` = its name, `price`, `quantity`, `currency`,
    `properties`."""

    kind: CallKind
    name: str
    value: Any = None
    properties: dict[str, Any] = field(default_factory=dict)
    price: float | None = None
    quantity: int | None = None
    currency: str | None = None
    user: str | None = None  # the customer id the batch was for (None: anonymous or unknown)
    seq: int = 0  # the journal entry it came from

    def describe(self) -> str:
        if self.kind == "identify":
            return f"mParticle.Identity.login(customerid={self.name!r})"
        if self.kind == "attribute":
            return f"setUserAttribute({self.name!r}, {self.value!r})"
        if self.kind == "event":
            return f"logEvent({self.name!r}, {self.properties})"
        return f"purchase of {self.name!r} x{self.quantity} at {self.price} {self.currency}"


def mparticle_calls(method: str, url: str, body: str | None, seq: int = 0) -> list[CdpCall]:
    """The calls one mParticle request carries (identity login/identify with a customer id; event batches)."""
    if method.upper() != "POST" or not body:
        return []
    try:
        payload = json.loads(body)
    except ValueError:
        return []
    if not isinstance(payload, dict):
        return []
    path = urlsplit(url).path
    if _IDENTITY_CALL.match(path):
        customer = (payload.get("known_identities") or {}).get("customerid")
        return [CdpCall("identify", str(customer), seq=seq)] if customer else []
    if path.endswith("/events"):
        user = (payload.get("user_identities") or {}).get("customer_id")
        return [call for event in payload.get("events") or [] for call in _event_calls(event, seq, user)]
    return []


def _event_calls(event: dict[str, Any], seq: int, user: str | None) -> list[CdpCall]:
    data = event.get("data") or {}
    kind = event.get("event_type")
    if kind == "custom_event":
        props = dict(data.get("custom_attributes") or {})
        return [CdpCall("event", str(data.get("event_name")), properties=props, user=user, seq=seq)]
    if kind == "user_attribute_change":
        value = None if data.get("deleted") else data.get("new")
        return [CdpCall("attribute", str(data.get("user_attribute_name")), value=value, user=user, seq=seq)]
    action = data.get("product_action") or {}
    if kind == "commerce_event" and action.get("action") == "purchase":
        currency = data.get("currency_code")
        return [_product_call(p, currency, user, seq) for p in action.get("products") or []]
    return []


def _product_call(product: dict[str, Any], currency: str | None, user: str | None, seq: int) -> CdpCall:
    props = dict(product.get("custom_attributes") or {})
    price, quantity = product.get("price"), product.get("quantity")
    return CdpCall("purchase", str(product.get("id")), product.get("name"), props, price, quantity, currency, user, seq)


# -- what mParticle's Braze kit makes of each call (@mparticle/web-braze-kit 4.x, its source) --------------------

# mParticle attribute names the kit sends to a Braze standard attribute setter, by the Braze wire name they land on
KIT_STANDARD_ATTRIBUTES: dict[str, str] = {
    "$LastName": "last_name", "$FirstName": "first_name", "Email": "email", "$Gender": "gender", "$Country": "country",
    "$City": "home_city", "$Mobile": "phone", "last_name": "last_name", "first_name": "first_name", "email": "email",
    "gender": "gender", "country": "country", "home_city": "home_city", "email_subscribe": "email_subscribe",
    "push_subscribe": "push_subscribe", "phone": "phone", "dob": "dob",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class BrazeKitMapping:
    """How the kit is configured, as far as the mapping goes: `forwardSkuAsProductName` (the purchase's Braze product
    id is the SKU, else the product name), `bundleCommerceEventData` (one purchase with all products, not checked)."""

    forward_sku_as_product_name: bool = True
    bundle_commerce_event_data: bool = False

    def __post_init__(self) -> None:
        if self.bundle_commerce_event_data:
            raise ValueError("bundleCommerceEventData: the one-purchase-per-commerce-event mapping is not checked yet")


@dataclass(frozen=True, slots=True)
class BrazeEffect:
    """What Braze should receive for one CDP call: `kind` `user` (changeUser: a request from `user`), `attributes`
    (`fields` ⊇, `custom` under "custom"), `ce` (a custom event `name` with `props` ⊇) or `p` (a purchase of `name`,
    `data` ⊇ {p, c, q}, `props` ⊇)."""

    kind: Literal["user", "attributes", "ce", "p"]
    name: str | None = None
    props: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    fields: dict[str, Any] | None = None
    user: str | None = None


def sanitized(value: Any) -> Any:
    """The kit's getSanitizedValueForBraze: leading `$` stripped from strings (and from each string of a list)."""
    if isinstance(value, str):
        return value.lstrip("$")
    if isinstance(value, list):
        return [sanitized(v) for v in value]
    return value


def braze_effect(call: CdpCall, kit: BrazeKitMapping = BrazeKitMapping()) -> BrazeEffect:
    """What the kit makes of `call` on Braze's wire."""
    if call.kind == "identify":
        return BrazeEffect("user", user=call.name)
    if call.kind == "attribute":
        standard = KIT_STANDARD_ATTRIBUTES.get(call.name)
        if standard is not None:
            return BrazeEffect("attributes", fields={standard: call.value}, user=call.user)
        return BrazeEffect("attributes", fields={"custom": {sanitized(call.name): sanitized(call.value)}}, user=call.user)
    if call.kind == "event":
        props = {sanitized(k): sanitized(v) for k, v in call.properties.items()}
        return BrazeEffect("ce", name=sanitized(call.name), props=props, user=call.user)
    name = call.name if kit.forward_sku_as_product_name else str(call.value or call.name)
    data = {"p": call.price, "c": call.currency, "q": call.quantity}
    props = {**{sanitized(k): sanitized(v) for k, v in call.properties.items()}, "Sku": call.name}
    return BrazeEffect(
        "p", name=sanitized(name), props=props, data={k: v for k, v in data.items() if v is not None}, user=call.user
    )
