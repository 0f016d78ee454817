"""Wire knowledge of customer data platforms in front of Braze: mParticle's Web SDK and Segment's analytics-next.

The harness answers each CDP's hosts locally (`devices/cdp/{mparticle,segment}/service.py`) and journals each
exchange with the CDP's source (`mparticle`, `segment`). The decoder keeps such a request as text with an `info` note
(it is not a Braze SDK request); `mparticle_calls` / `segment_calls` read what the app asked the CDP to do from those
entries: who it identified, the attributes it set, the custom events and purchases it logged. `braze_effect` says what
the CDP's Braze integration makes of each call (mParticle's Braze kit, Segment's Braze web-mode destination).
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
SEGMENT_SOURCE = "segment"
SEGMENT_HOSTS = ("api.segment.io", "cdn.segment.com", "events.eu1.segmentapis.com", "cdn.segment.io")
SEGMENT_URLS = re.compile(r"^https?://(?:" + "|".join(re.escape(h) for h in SEGMENT_HOSTS) + r")(?::\d+)?/")
_IDENTITY_CALL = re.compile(r"^/v1/(identify|login|logout|\d+/modify)$")
_SEGMENT_CALL = re.compile(r"^/v1/(i|t|p|s|g|a|identify|track|page|screen|group|alias|batch)$")

CallKind = Literal["identify", "attribute", "event", "purchase"]
_CDP_OF_HOST = {**dict.fromkeys(MPARTICLE_HOSTS, MPARTICLE_SOURCE), **dict.fromkeys(SEGMENT_HOSTS, SEGMENT_SOURCE)}


def cdp_of(url: str) -> str | None:
    """`mparticle` / `segment` for a URL on one of that CDP's hosts, else None."""
    return _CDP_OF_HOST.get(urlsplit(url).hostname or "")


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
    cdp: str = MPARTICLE_SOURCE

    def describe(self) -> str:
        if self.cdp == SEGMENT_SOURCE:
            return self._describe_segment()
        if self.kind == "identify":
            return f"mParticle.Identity.login(customerid={self.name!r})"
        if self.kind == "attribute":
            return f"setUserAttribute({self.name!r}, {self.value!r})"
        if self.kind == "event":
            return f"logEvent({self.name!r}, {self.properties})"
        return f"purchase of {self.name!r} x{self.quantity} at {self.price} {self.currency}"

    def _describe_segment(self) -> str:
        if self.kind == "identify":
            return f"analytics.identify({self.name!r})"
        if self.kind == "attribute":
            return f"analytics.identify(traits: {self.name}={self.value!r})"
        if self.kind == "event":
            return f"analytics.track({self.name!r}, {self.properties})"
        product = f"product_id={self.name!r}, price={self.price}, quantity={self.quantity}, currency={self.currency!r}"
        return f"analytics.track('Order Completed', products: {product})"


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


def segment_calls(method: str, url: str, body: str | None, seq: int = 0) -> list[CdpCall]:
    """The calls one Segment tracking API request carries (`/v1/i`, `/v1/t`, `/v1/batch`, ...): an identify with a
    userId, each trait (and `context.location.country`) as an attribute, a track as an event, an `Order Completed`
    track as one purchase call per product (its `properties` the order's)."""
    if method.upper() != "POST" or not body or not _SEGMENT_CALL.match(urlsplit(url).path):
        return []
    try:
        payload = json.loads(body)
    except ValueError:
        return []
    if not isinstance(payload, dict):
        return []
    messages = payload.get("batch") if isinstance(payload.get("batch"), list) else [payload]
    return [call for m in messages if isinstance(m, dict) for call in _segment_message_calls(m, seq)]


def _segment_message_calls(message: dict[str, Any], seq: int) -> list[CdpCall]:
    user = message.get("userId")
    user = None if user is None else str(user)
    kind = message.get("type")
    if kind == "identify":
        calls = [CdpCall("identify", user, seq=seq, cdp=SEGMENT_SOURCE)] if user else []
        traits = message.get("traits") or {}
        calls += [CdpCall("attribute", k, value=v, user=user, seq=seq, cdp=SEGMENT_SOURCE) for k, v in traits.items()]
        country = ((message.get("context") or {}).get("location") or {}).get("country")
        if country is not None:
            calls.append(CdpCall("attribute", CONTEXT_COUNTRY, value=country, user=user, seq=seq, cdp=SEGMENT_SOURCE))
        return calls
    if kind != "track":
        return []
    props = dict(message.get("properties") or {})
    name = str(message.get("event"))
    if name != ORDER_COMPLETED:
        return [CdpCall("event", name, properties=props, user=user, seq=seq, cdp=SEGMENT_SOURCE)]
    products = props.get("products") if isinstance(props.get("products"), list) else []
    return [
        CdpCall("purchase", str(p.get("product_id")), p.get("name"), props, p.get("price"), p.get("quantity"),
                p.get("currency"), user, seq, SEGMENT_SOURCE)
        for p in products if isinstance(p, dict)
    ]  # fmt: skip


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
    (`fields` ⊇, `custom` under "custom"), `ce` (a custom event `name` with `props` ⊇), `p` (a purchase of `name`,
    `data` ⊇ {p, c, q}, `props` ⊇) or `none` (the integration drops the call: `name` says why)."""

    kind: Literal["user", "attributes", "ce", "p", "none"]
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
    """What the CDP's Braze integration makes of `call` on Braze's wire (`kit`: mParticle's kit settings)."""
    if call.cdp == SEGMENT_SOURCE:
        return destination_effect(call)
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


# -- what Segment's Braze web-mode destination makes of each call (@segment/analytics-browser-actions-braze 1.6.0,
# its default subscriptions: the `presets` Identify Calls, Track Calls, Order Completed calls) -------------------

ORDER_COMPLETED = "Order Completed"
CONTEXT_COUNTRY = "context.location.country"  # not a trait: the Identify mapping reads the country from the context
# Identify Calls' default mapping (updateUserProfile): the trait (or context path) each standard attribute is read from
DESTINATION_STANDARD_TRAITS: dict[str, str] = {
    "email": "email", "firstName": "first_name", "lastName": "last_name", "gender": "gender", "phone": "phone",
    CONTEXT_COUNTRY: "country",
}  # fmt: skip
# every other trait becomes a custom attribute, except these: the action's field names (and firstName, lastName),
# skipped as reserved, with no default source (dob, language, ...) or another one (country, home_city: address.city)
DESTINATION_RESERVED_TRAITS = frozenset(
    {"external_id", "country", "current_location", "custom_attributes", "dob", "email", "email_subscribe", "first_name",
     "last_name", "gender", "home_city", "image_url", "language", "phone", "push_subscribe", "firstName", "lastName"}
)  # fmt: skip
# trackPurchase: the product fields, omitted from the order properties that become each purchase's properties
DESTINATION_PRODUCT_FIELDS = ("product_id", "price", "currency", "quantity")
_GENDERS = {
    "m": ("man", "male", "m"), "f": ("woman", "female", "w", "f"), "o": ("other", "o"), "u": ("u", "unknown"),
    "n": ("not applicable", "n"), "p": ("prefer not to say", "p"),
}  # fmt: skip


def destination_gender(value: Any) -> Any:
    """The destination's toBrazeGender (man/male/m -> M, ...), as the Braze Web SDK sends it (lower case)."""
    if not isinstance(value, str) or not value:
        return value
    return next((g for g, names in _GENDERS.items() if value.lower() in names), value.lower())


def destination_effect(call: CdpCall) -> BrazeEffect:
    """What Segment's Braze destination makes of a Segment call on Braze's wire."""
    if call.kind == "identify":
        return BrazeEffect("user", user=call.name)
    if call.kind == "attribute":
        return _destination_attribute(call)
    if call.kind == "event":
        return BrazeEffect("ce", name=call.name, props=dict(call.properties), user=call.user)
    props = {k: v for k, v in call.properties.items() if k not in DESTINATION_PRODUCT_FIELDS}
    data = {"p": call.price, "c": call.currency or "USD", "q": 1 if call.quantity is None else call.quantity}
    return BrazeEffect("p", name=call.name, props=props, data=data, user=call.user)


def _destination_attribute(call: CdpCall) -> BrazeEffect:
    standard = DESTINATION_STANDARD_TRAITS.get(call.name)
    if standard is not None:
        value = destination_gender(call.value) if standard == "gender" else call.value
        return BrazeEffect("attributes", fields={standard: value}, user=call.user)
    if call.name == "address":  # address.city -> home_city; `address` itself is not reserved: also a custom attribute
        city = call.value.get("city") if isinstance(call.value, dict) else None
        return BrazeEffect("attributes", fields={"home_city": city} if city is not None else {}, user=call.user)
    if call.name in DESTINATION_RESERVED_TRAITS:
        why = f"trait {call.name!r} is a reserved field name of the destination's Identify mapping: dropped"
        return BrazeEffect("none", name=why, user=call.user)
    return BrazeEffect("attributes", fields={"custom": {call.name: call.value}}, user=call.user)
