"""SDK event models: one class per event code, keyed by `name`.

Every model allows extra fields so a newer SDK's additions survive decoding; the decoder reports
them as protocol drift instead of dropping them. The set of known codes is built from the
subclasses themselves so it cannot drift from the models.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter


class Wire(BaseModel):
    """Base of every wire model: unknown keys are kept (and flagged by the decoder)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Alias(Wire):
    label: str | None = None
    name: str | None = None


# --- event data -------------------------------------------------------------------------------


class NoData(Wire):
    pass


class SessionEndData(Wire):
    d: float = Field(description="session duration in seconds")


class CustomEventData(Wire):
    n: str = Field(min_length=1)
    p: dict[str, Any] = Field(default_factory=dict)


class PurchaseData(Wire):
    pid: str = Field(min_length=1)
    c: str = "USD"
    # the Web SDK sends a 2-decimal string ("9.99"); mobile SDKs send numbers
    p: str | float
    q: int = 1
    pr: dict[str, Any] = Field(default_factory=dict)

    @property
    def price(self) -> float:
        return float(self.p)


class KeyValueData(Wire):
    key: str = Field(min_length=1)
    value: Any = None


class ArraySetData(Wire):
    key: str = Field(min_length=1)
    value: list[Any]


class IncrementData(Wire):
    key: str = Field(min_length=1)
    value: float = 1


class NestedMergeData(Wire):
    key: str = Field(min_length=1)
    value: dict[str, Any]


class LocationAttributeData(Wire):
    key: str = Field(min_length=1)
    latitude: float
    longitude: float


class KeyOnlyData(Wire):
    key: str = Field(min_length=1)


class LocationData(Wire):
    latitude: float
    longitude: float
    altitude: float | None = None
    ll_accuracy: float | None = None
    alt_accuracy: float | None = None


class AliasData(Wire):
    a: str
    l: str  # noqa: E741 - wire name


class SubscriptionGroupData(Wire):
    group_id: str
    status: Literal["subscribed", "unsubscribed"]


class TriggerIdsData(Wire):
    trigger_ids: list[str]
    message_extras: Any = None


class ButtonClickData(TriggerIdsData):
    bid: int | str


class DisplayFailureData(Wire):
    """`sfe`, sent by Web SDK 4.0-5.1 (docs/web-sdk-versions.md): the message's trigger id and why it was not shown,
    a code of the SDK's InAppMessage display failures, e.g. `hd` HTML messages disabled, `ias` another message is
    being shown, `of` the message's orientation is not the screen's."""

    trigger_ids: list[str]
    error_code: str


class IdsData(Wire):
    ids: list[str]


class IdData(Wire):
    id: str


class BannerClickData(IdData):
    bid: str | int | None = None


class FeatureFlagImpressionData(Wire):
    fid: str
    fts: str | None = None


class PushClickData(Wire):
    cid: str | None = None


class PushActionData(Wire):
    cid: str | None = None
    a: str | None = None


class InternalData(Wire):
    """`i`: Web SDK 4.0.0-4.0.3 log `{"n": "content_cards_displayed"}` (logContentCardsDisplayed, a no-op from 4.0.4)."""

    n: str | None = None


class InternalErrorData(Wire):
    e: str | None = None


class GeofenceData(Wire):
    geo_id: str
    event_type: str


class AnyData(Wire):
    pass


# --- events -----------------------------------------------------------------------------------


class Event(Wire):
    """Common fields of every event. `time` is float seconds (int accepted)."""

    code: ClassVar[str] = ""
    title: ClassVar[str] = ""

    name: str
    time: float
    session_id: str | None = None
    user_id: str | None = None
    alias: Alias | None = None
    data: Any = None

    @property
    def known(self) -> bool:
        return bool(self.code)


class SessionStart(Event):
    code: ClassVar[str] = "ss"
    title: ClassVar[str] = "session start"
    name: Literal["ss"]
    data: NoData | None = None  # iOS omits data


class SessionEnd(Event):
    code: ClassVar[str] = "se"
    title: ClassVar[str] = "session end"
    name: Literal["se"]
    data: SessionEndData


class CustomEvent(Event):
    code: ClassVar[str] = "ce"
    title: ClassVar[str] = "custom event"
    name: Literal["ce"]
    data: CustomEventData


class Purchase(Event):
    code: ClassVar[str] = "p"
    title: ClassVar[str] = "purchase"
    name: Literal["p"]
    data: PurchaseData


class ArraySet(Event):
    code: ClassVar[str] = "set"
    title: ClassVar[str] = "custom attribute array set"
    name: Literal["set"]
    data: ArraySetData


class ArrayAdd(Event):
    code: ClassVar[str] = "add"
    title: ClassVar[str] = "add to custom attribute array"
    name: Literal["add"]
    data: KeyValueData


class ArrayRemove(Event):
    code: ClassVar[str] = "rem"
    title: ClassVar[str] = "remove from custom attribute array"
    name: Literal["rem"]
    data: KeyValueData


class Increment(Event):
    code: ClassVar[str] = "inc"
    title: ClassVar[str] = "increment custom attribute"
    name: Literal["inc"]
    data: IncrementData


class NestedMerge(Event):
    code: ClassVar[str] = "ncam"
    title: ClassVar[str] = "nested custom attribute merge"
    name: Literal["ncam"]
    data: NestedMergeData


class LocationAttributeAdd(Event):
    code: ClassVar[str] = "lcaa"
    title: ClassVar[str] = "location custom attribute set"
    name: Literal["lcaa"]
    data: LocationAttributeData


class LocationAttributeRemove(Event):
    code: ClassVar[str] = "lcar"
    title: ClassVar[str] = "location custom attribute removed"
    name: Literal["lcar"]
    data: KeyOnlyData


class LocationRecorded(Event):
    code: ClassVar[str] = "lr"
    title: ClassVar[str] = "last known location"
    name: Literal["lr"]
    data: LocationData


class UserAliasAdded(Event):
    code: ClassVar[str] = "uae"
    title: ClassVar[str] = "user alias added"
    name: Literal["uae"]
    data: AliasData


class SubscriptionGroupUpdate(Event):
    code: ClassVar[str] = "sgu"
    title: ClassVar[str] = "subscription group update"
    name: Literal["sgu"]
    data: SubscriptionGroupData


class InAppMessageImpression(Event):
    code: ClassVar[str] = "si"
    title: ClassVar[str] = "in-app message impression"
    name: Literal["si"]
    data: TriggerIdsData


class InAppMessageClick(Event):
    code: ClassVar[str] = "sc"
    title: ClassVar[str] = "in-app message click"
    name: Literal["sc"]
    data: TriggerIdsData


class InAppMessageButtonClick(Event):
    code: ClassVar[str] = "sbc"
    title: ClassVar[str] = "in-app message button click"
    name: Literal["sbc"]
    data: ButtonClickData


class InAppMessageControlImpression(Event):
    code: ClassVar[str] = "iec"
    title: ClassVar[str] = "in-app message control impression"
    name: Literal["iec"]
    data: TriggerIdsData


class ContentCardImpression(Event):
    code: ClassVar[str] = "cci"
    title: ClassVar[str] = "content card impression"
    name: Literal["cci"]
    data: IdsData


class ContentCardClick(Event):
    code: ClassVar[str] = "ccc"
    title: ClassVar[str] = "content card click"
    name: Literal["ccc"]
    data: IdsData


class ContentCardDismissal(Event):
    code: ClassVar[str] = "ccd"
    title: ClassVar[str] = "content card dismissal"
    name: Literal["ccd"]
    data: IdsData


class ContentCardControlImpression(Event):
    code: ClassVar[str] = "ccic"
    title: ClassVar[str] = "content card control impression"
    name: Literal["ccic"]
    data: IdsData


class FeatureFlagImpression(Event):
    code: ClassVar[str] = "ffi"
    title: ClassVar[str] = "feature flag impression"
    name: Literal["ffi"]
    data: FeatureFlagImpressionData


class BannerImpression(Event):
    code: ClassVar[str] = "bi"
    title: ClassVar[str] = "banner impression"
    name: Literal["bi"]
    data: IdsData


class BannerClick(Event):
    code: ClassVar[str] = "bc"
    title: ClassVar[str] = "banner click"
    name: Literal["bc"]
    data: BannerClickData


class BannerDismissal(Event):
    code: ClassVar[str] = "bd"
    title: ClassVar[str] = "banner dismissal"
    name: Literal["bd"]
    data: IdData


class PushClick(Event):
    code: ClassVar[str] = "pc"
    title: ClassVar[str] = "push notification clicked"
    name: Literal["pc"]
    data: PushClickData


class PushActionClick(Event):
    code: ClassVar[str] = "ca"
    title: ClassVar[str] = "push action button clicked"
    name: Literal["ca"]
    data: PushActionData | None = None


class PushStoryClick(Event):
    code: ClassVar[str] = "cic"
    title: ClassVar[str] = "push story page clicked"
    name: Literal["cic"]
    data: PushActionData


class PushDelivery(Event):
    code: ClassVar[str] = "pde"
    title: ClassVar[str] = "push delivery event"
    name: Literal["pde"]
    data: AnyData | None = None


class InternalError(Event):
    code: ClassVar[str] = "ie"
    title: ClassVar[str] = "SDK internal error"
    name: Literal["ie"]
    data: InternalErrorData


class Internal(Event):
    code: ClassVar[str] = "i"
    title: ClassVar[str] = "SDK internal"
    name: Literal["i"]
    data: InternalData | None = None


class GeofenceTransition(Event):
    code: ClassVar[str] = "g"
    title: ClassVar[str] = "geofence transition"
    name: Literal["g"]
    data: GeofenceData


class InAppMessageDisplayFailure(Event):
    code: ClassVar[str] = "sfe"
    title: ClassVar[str] = "in-app message display failure (Web SDK 4.0-5.1; defined, unused in 6.13)"
    name: Literal["sfe"]
    data: DisplayFailureData


class TestTypeEvent(Event):
    code: ClassVar[str] = "tt"
    title: ClassVar[str] = "test type (internal)"
    name: Literal["tt"]
    data: AnyData | None = None


class MessageExtrasEvent(Event):
    code: ClassVar[str] = "message_extras"
    title: ClassVar[str] = "in-app message extras (internal)"
    name: Literal["message_extras"]
    data: AnyData | None = None


class UnknownEvent(Event):
    """An event code this harness does not know: kept whole and reported as protocol drift."""

    code: ClassVar[str] = ""
    title: ClassVar[str] = "unknown event code"
    data: Any = None


def _known_event_classes() -> dict[str, type[Event]]:
    found: dict[str, type[Event]] = {}
    stack = list(Event.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.code:
            found[cls.code] = cls
    return found


EVENT_CLASSES: dict[str, type[Event]] = _known_event_classes()
KNOWN_EVENT_CODES: frozenset[str] = frozenset(EVENT_CLASSES)
_UNKNOWN = "__unknown__"


def _event_tag(value: Any) -> str:
    name = value.get("name") if isinstance(value, dict) else getattr(value, "name", None)
    return name if isinstance(name, str) and name in KNOWN_EVENT_CODES else _UNKNOWN


AnyEvent = Annotated[
    Annotated[UnknownEvent, Tag(_UNKNOWN)]
    | Annotated[SessionStart, Tag("ss")]
    | Annotated[SessionEnd, Tag("se")]
    | Annotated[CustomEvent, Tag("ce")]
    | Annotated[Purchase, Tag("p")]
    | Annotated[ArraySet, Tag("set")]
    | Annotated[ArrayAdd, Tag("add")]
    | Annotated[ArrayRemove, Tag("rem")]
    | Annotated[Increment, Tag("inc")]
    | Annotated[NestedMerge, Tag("ncam")]
    | Annotated[LocationAttributeAdd, Tag("lcaa")]
    | Annotated[LocationAttributeRemove, Tag("lcar")]
    | Annotated[LocationRecorded, Tag("lr")]
    | Annotated[UserAliasAdded, Tag("uae")]
    | Annotated[SubscriptionGroupUpdate, Tag("sgu")]
    | Annotated[InAppMessageImpression, Tag("si")]
    | Annotated[InAppMessageClick, Tag("sc")]
    | Annotated[InAppMessageButtonClick, Tag("sbc")]
    | Annotated[InAppMessageControlImpression, Tag("iec")]
    | Annotated[ContentCardImpression, Tag("cci")]
    | Annotated[ContentCardClick, Tag("ccc")]
    | Annotated[ContentCardDismissal, Tag("ccd")]
    | Annotated[ContentCardControlImpression, Tag("ccic")]
    | Annotated[FeatureFlagImpression, Tag("ffi")]
    | Annotated[BannerImpression, Tag("bi")]
    | Annotated[BannerClick, Tag("bc")]
    | Annotated[BannerDismissal, Tag("bd")]
    | Annotated[PushClick, Tag("pc")]
    | Annotated[PushActionClick, Tag("ca")]
    | Annotated[PushStoryClick, Tag("cic")]
    | Annotated[PushDelivery, Tag("pde")]
    | Annotated[InternalError, Tag("ie")]
    | Annotated[Internal, Tag("i")]
    | Annotated[GeofenceTransition, Tag("g")]
    | Annotated[InAppMessageDisplayFailure, Tag("sfe")]
    | Annotated[TestTypeEvent, Tag("tt")]
    | Annotated[MessageExtrasEvent, Tag("message_extras")],
    Discriminator(_event_tag),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(AnyEvent)

# A whole batch of events of known codes in one call, the tag read by pydantic-core itself (no Python
# callback per event). An unknown code fails here: the decoder then goes item by item with EVENT_ADAPTER,
# which gives each valid item of a known code exactly what this gives.
KnownEvent = Annotated[Union[tuple(EVENT_CLASSES.values())], Field(discriminator="name")]  # noqa: UP007
KNOWN_EVENTS_ADAPTER: TypeAdapter[list[Event]] = TypeAdapter(list[KnownEvent])  # type: ignore[arg-type]


def _check_union_covers_all_codes() -> None:
    # a subclass added without a union member would silently decode as UnknownEvent
    tags = {m.__metadata__[0].tag for m in AnyEvent.__origin__.__args__}  # type: ignore[attr-defined]
    missing = KNOWN_EVENT_CODES - tags
    if missing:
        raise RuntimeError(f"event classes missing from AnyEvent: {sorted(missing)}")


_check_union_covers_all_codes()
