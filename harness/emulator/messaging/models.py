"""Pydantic models of what a test seeds: segments and campaigns (IAM, Content Card, feature flag, banner, API-triggered).

Every model forbids unknown fields, so a wrong definition fails with a message naming the field
(`campaigns[0].message.type: Input should be 'SLIDEUP', 'MODAL', 'FULL' or 'HTML'`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Compared(Strict):
    """A filter with `op`/`value`: a `regex` value must compile, here, not later on a device or a request."""

    @model_validator(mode="after")
    def _regex_compiles(self) -> Self:
        if getattr(self, "op", None) == "regex":
            try:
                re.compile(str(self.value))  # type: ignore[attr-defined]
            except re.error as exc:
                raise ValueError(f"value: not a valid regex ({exc})") from None
        return self


Op = Literal["eq", "ne", "gt", "gte", "lt", "lte", "exists", "not_exists", "in", "not_in", "contains", "regex"]


class AttributeFilter(Compared):
    """A standard (`first_name`, `country`, ...) or custom (`custom.plan` or just `plan`) attribute."""

    type: Literal["attribute"]
    name: str
    op: Op = "eq"
    value: Any = None


class ExternalIdFilter(Compared):
    type: Literal["external_id"]
    op: Op = "in"
    value: Any = None


class CountFilter(Strict):
    """`custom_event` (by `name`), `purchase` (by `name` = product id, or any), `sessions`: a count compared."""

    type: Literal["custom_event", "purchase", "sessions"]
    name: str | None = None
    op: Op = "gte"
    value: float = 1


class SessionTimeFilter(Strict):
    """`first_session` / `last_session` (unix s) compared with `value` (unix s)."""

    type: Literal["first_session", "last_session"]
    op: Op = "gte"
    value: float | None = None


class PushSubscriptionFilter(Strict):
    type: Literal["push_subscription"]
    value: Literal["opted_in", "subscribed", "unsubscribed"] = "opted_in"


class SegmentRefFilter(Strict):
    type: Literal["segment"]
    id: str
    member: bool = True


Filter = Annotated[
    AttributeFilter | ExternalIdFilter | CountFilter | SessionTimeFilter | PushSubscriptionFilter | SegmentRefFilter,
    Field(discriminator="type"),
]


class Segment(Strict):
    """All of `filters` (AND); `any_of`: at least one of these filter groups (OR of ANDs) as well."""

    id: str
    name: str | None = None
    filters: list[Filter] = Field(default_factory=list)
    any_of: list[list[Filter]] = Field(default_factory=list)


# -- in-app messages ---------------------------------------------------------------------------------

PropertyType = Literal["string", "number", "boolean", "date"]
COMPARATORS = {"eq": 1, "ne": 2, "gt": 3, "gte": 4, "lt": 5, "lte": 6, "regex": 10, "exists": 11, "not_exists": 12}


class PropertyFilter(Compared):
    key: str
    op: Literal["eq", "ne", "gt", "gte", "lt", "lte", "regex", "exists", "not_exists"] = "eq"
    value: Any = None
    type: PropertyType | None = None  # inferred from value when absent

    def wire(self) -> dict[str, Any]:
        kind = self.type
        if kind is None:
            kind = "boolean" if isinstance(self.value, bool) else "number" if isinstance(self.value, (int, float)) else "string"
        return {
            "property_key": self.key,
            "property_type": kind,
            "comparator": COMPARATORS[self.op],
            "property_value": self.value,
        }


class Trigger(Strict):
    """`open` (session start), `custom_event` (`event`, optional `property_filters`: all must hold),
    `purchase` (optional `product_id`, `property_filters`), `push_click` (`campaign_id`: opening that push campaign)."""

    type: Literal["open", "custom_event", "purchase", "push_click"]
    event: str | None = None
    product_id: str | None = None
    campaign_id: str | None = None
    property_filters: list[PropertyFilter] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Trigger:
        if self.type == "custom_event" and not self.event:
            raise ValueError("a custom_event trigger needs `event`")
        if self.type == "open" and (self.event or self.product_id or self.property_filters):
            raise ValueError("an open trigger takes no event, product_id or property_filters")
        if self.type == "push_click" and (not self.campaign_id or self.event or self.product_id or self.property_filters):
            raise ValueError("a push_click trigger needs `campaign_id` (and takes no event, product_id or property_filters)")
        if self.type != "push_click" and self.campaign_id is not None:
            raise ValueError("`campaign_id` belongs to push_click triggers")
        return self

    def wire(self) -> dict[str, Any]:
        filters = [[f.wire()] for f in self.property_filters]  # outer AND, inner OR
        match self.type:
            case "open":
                return {"type": "open", "data": None}
            case "push_click":  # `push_click` `{campaign_id}` (docs/web-sdk-wire.md, in-app-messages)
                return {"type": "push_click", "data": {"campaign_id": self.campaign_id}}
            case "custom_event":
                if filters:
                    data = {"event_name": self.event, "property_filters": filters}
                    return {"type": "custom_event_property", "data": data}
                return {"type": "custom_event", "data": {"event_name": self.event}}
            case _:
                if filters:
                    return {"type": "purchase_property", "data": {"product_id": self.product_id, "property_filters": filters}}
                return {"type": "purchase", "data": {"product_id": self.product_id}}


class Button(Strict):
    id: int | str
    text: str
    click_action: Literal["NONE", "URI", "NEWS_FEED"] = "NONE"
    uri: str | None = None


class InAppMessage(Strict):
    type: Literal["SLIDEUP", "MODAL", "FULL", "HTML"]
    message: str | None = None
    header: str | None = None
    html: str | None = None  # HTML type: the document (the SDK needs allowUserSuppliedJavascript)
    buttons: list[Button] = Field(default_factory=list)
    click_action: Literal["NONE", "URI", "NEWS_FEED"] = "NONE"
    uri: str | None = None
    message_close: Literal["AUTO_DISMISS", "SWIPE"] = "SWIPE"
    duration: int = 5000
    image_url: str | None = None
    extras: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> InAppMessage:
        if self.type == "HTML" and not self.html:
            raise ValueError("an HTML message needs `html`")
        if self.type != "HTML" and not (self.message or self.header):
            raise ValueError(f"a {self.type} message needs `message` or `header`")
        return self


class InAppCampaign(Strict):
    kind: Literal["in_app"] = "in_app"
    id: str
    name: str | None = None
    segment: str | None = None  # None: everyone
    trigger: Trigger
    message: InAppMessage
    priority: float = 0
    delay: int = 0  # seconds
    start_time: float | None = None
    end_time: float | None = None
    re_eligibility: int = -1  # seconds; -1 never
    min_seconds_since_last_trigger: int | None = None
    control: bool = False  # everyone targeted is in the control group: logs iec, shows nothing
    templated: bool = False  # served through /template/, with Liquid-style personalisation
    connected_content_url: str | None = None  # fetched at /template/ time; `{{connected.<key>}}` in the message


# -- content cards -----------------------------------------------------------------------------------

CARD_TYPES = {"classic": "short_news", "captioned_image": "captioned_image", "image_only": "banner_image", "control": "control"}


class Card(Strict):
    type: Literal["classic", "captioned_image", "image_only", "control"] = "classic"
    title: str | None = None
    description: str | None = None
    image: str | None = None
    url: str | None = None
    link_text: str | None = None
    pinned: bool = False
    dismissible: bool = True
    extras: dict[str, str] = Field(default_factory=dict)
    expires_at: float | None = None  # unix s; None never
    aspect_ratio: float | None = None


class ContentCardCampaign(Strict):
    kind: Literal["content_card"] = "content_card"
    id: str
    name: str | None = None
    segment: str | None = None
    card: Card
    start_time: float | None = None
    end_time: float | None = None


# -- feature flags and banners -----------------------------------------------------------------------


class FlagProperty(Strict):
    type: Literal["string", "number", "boolean", "image", "jsonobject", "datetime"]
    value: Any


class FeatureFlag(Strict):
    """On for the members of `segment` (or everyone) when `enabled`; off for everyone else."""

    kind: Literal["feature_flag"] = "feature_flag"
    id: str
    enabled: bool = True
    segment: str | None = None
    properties: dict[str, FlagProperty] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _infer(cls, data: Any) -> Any:
        """Plain property values get their type inferred: `{"color": "blue"}`."""
        if isinstance(data, dict) and isinstance(data.get("properties"), dict):
            props = {}
            for key, value in data["properties"].items():
                if isinstance(value, dict) and set(value) == {"type", "value"}:
                    props[key] = value
                elif isinstance(value, bool):
                    props[key] = {"type": "boolean", "value": value}
                elif isinstance(value, (int, float)):
                    props[key] = {"type": "number", "value": value}
                elif isinstance(value, dict):
                    props[key] = {"type": "jsonobject", "value": value}
                else:
                    props[key] = {"type": "string", "value": value}
            data = {**data, "properties": props}
        return data


class Banner(Strict):
    kind: Literal["banner"] = "banner"
    id: str
    placement: str
    html: str
    segment: str | None = None
    priority: float = 0
    control: bool = False
    expires_at: float | None = None
    properties: dict[str, FlagProperty] = Field(default_factory=dict)


class ApiTriggeredCampaign(Strict):
    """A campaign with API-triggered delivery: sent when a backend calls `/campaigns/trigger/send`, to its
    recipients or (broadcast) to its segment. Channels: `push` (Braze REST message objects `{"apple_push",
    "android_push", "web_push"}`) and/or `card` (a Content Card in each recipient's inbox). Their texts are Liquid:
    `{{api_trigger_properties.${name}}}` reads the send's trigger properties. Braze does not trigger in-app
    messages through the API (only SDK-logged events do), so `in_app_message` is refused with that reason.
    https://www.braze.com/docs/api/endpoints/messaging/send_messages/post_send_triggered_campaigns/"""

    kind: Literal["api_triggered"] = "api_triggered"
    id: str
    name: str | None = None
    segment: str | None = None  # the campaign's audience: recipients outside it are skipped; broadcast reaches it
    push: dict[str, Any] | None = None
    card: Card | None = None
    in_app_message: Any = None
    re_eligibility: int | None = 0  # seconds before a user may receive it again; None: only once

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.in_app_message is not None:
            raise ValueError(
                "in-app messages can't be API-triggered: Braze triggers them only from events the SDK logs "
                "(https://www.braze.com/docs/developer_guide/in_app_messages/triggering_messages/)"
            )
        if self.push is None and self.card is None:
            raise ValueError("an api_triggered campaign needs `push` and/or `card`")
        return self


Campaign = Annotated[
    InAppCampaign | ContentCardCampaign | FeatureFlag | Banner | ApiTriggeredCampaign, Field(discriminator="kind")
]
CAMPAIGN = TypeAdapter(Campaign)
SEGMENT = TypeAdapter(Segment)


class DefinitionError(ValueError):
    """A seeded definition is wrong; the message names the field(s)."""


def _explain(exc: ValidationError, what: str) -> DefinitionError:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        lines.append(f"{what}.{loc}: {err['msg']}" if loc else f"{what}: {err['msg']}")
    return DefinitionError("; ".join(lines))


def parse_campaign(
    data: Any, where: str = "campaign"
) -> InAppCampaign | ContentCardCampaign | FeatureFlag | Banner | ApiTriggeredCampaign:
    if isinstance(data, BaseModel):
        return data  # type: ignore[return-value]
    try:
        return CAMPAIGN.validate_python(data)
    except ValidationError as exc:
        raise _explain(exc, where) from None


def parse_segment(data: Any, where: str = "segment") -> Segment:
    if isinstance(data, Segment):
        return data
    try:
        return SEGMENT.validate_python(data)
    except ValidationError as exc:
        raise _explain(exc, where) from None
