"""Where the app's controls are: one Appium locator (strategy + value) per abstract action, declared, not coded.

    locators = Locators.load("my_app_locators.yaml")       # or Locators.model_validate({...}) / Locators(**...)

    # my_app_locators.yaml
    login_field: {by: id, value: "com.example:id/user_id"}
    login_button: {by: accessibility id, value: "Log in"}
    profile_fields:
      first_name: {by: id, value: "com.example:id/first_name"}
    screen:
      iam: {by: id, value: "com.braze.ui:id/com_braze_inappmessage_modal"}

`Locators()` has the ids of `devices/appium/fake_app.xml` (the fake driver's app) as defaults, so that file and
this model document each other; `Locators.load` (an app of yours) takes a control left out as one the app lacks.
Values may hold `{placement}`, `{card_id}`, `{button_id}` where a screen method fills them in.

Reading (what the screen shows) comes from the page source, which every driver returns as XML; a `SourceDialect`
says which XML attribute holds an element's id, accessibility id, text and visibility on that platform.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self, get_args

import yaml
from braze_harness.adapters.base import STANDARD_PROFILE_FIELDS
from braze_harness.devices.tools.push_delivery import FCM_ROUTING_ACTION
from braze_harness.errors import HarnessConfigError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Strategy = Literal[
    "id",
    "accessibility id",
    "xpath",
    "class name",
    "name",
    "css selector",
    "-android uiautomator",
    "-android viewtag",
    "-ios predicate string",
    "-ios class chain",
]
Defaults = Literal["none", "fake"]
# the strategies the page-source reader understands (the others only find elements through the driver)
SOURCE_STRATEGIES = ("id", "accessibility id", "xpath", "class name")
# strategies whose value holds string literals: a filled-in placeholder must not carry a quote
_QUOTED_STRATEGIES = ("xpath", "-ios predicate string", "-ios class chain", "-android uiautomator")


class Locator(BaseModel):
    """One Appium locator: `by` is the strategy (`AppiumBy` value), `value` the selector."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    by: Strategy
    value: str = Field(min_length=1)

    def format(self, **fields: str) -> Locator:
        """The locator with `{placeholders}` filled in (a value with a quote cannot go into an xpath, predicate or
        UiSelector string literal)."""
        if self.by in _QUOTED_STRATEGIES and any("'" in v or '"' in v for v in fields.values()):
            raise HarnessConfigError(f"cannot put {fields} into the {self.by} locator {self.value!r}: a value holds a quote")
        try:
            value = self.value.format(**fields)
        except (KeyError, IndexError) as exc:
            raise HarnessConfigError(f"locator {self.value!r} uses a placeholder it is not given: {exc}") from None
        return Locator(by=self.by, value=value)

    def __str__(self) -> str:
        return f"{self.by}={self.value!r}"


def _loc(by: str, value: str) -> Locator:
    return Locator(by=by, value=value)  # type: ignore[arg-type]


class ScreenLocators(BaseModel):
    """What `AppiumScreen` looks for: the SDK's in-app message, the app's Content Cards feed, banners, the flag gate."""

    model_config = ConfigDict(extra="forbid")

    iam: Locator = _loc("id", "iam")
    """the displayed in-app message (its root view)"""
    iam_kind_attribute: str | None = "kind"
    """attribute of the IAM root holding slideup/modal/full/html (None: kind reported as 'unknown')"""
    iam_header: Locator = _loc("id", "iam-header")
    iam_message: Locator = _loc("id", "iam-message")
    iam_button: Locator = _loc("class name", "MockIamButton")
    """every button of the in-app message, in order (searched inside `iam`)"""
    iam_close: Locator = _loc("id", "iam-close")
    cards_open: Locator = _loc("id", "show-cards")
    card: Locator = _loc("xpath", "//*[@id='content-cards-feed']/*[@cardId]")
    """each card of the feed, in display order"""
    card_id_attribute: str = "cardId"
    """attribute of a card view holding the Braze card id (the app sets it, e.g. as content-description)"""
    card_by_id: Locator = _loc("xpath", "//*[@cardId='{card_id}']")
    card_dismiss: Locator = _loc("xpath", "//*[@cardId='{card_id}']//*[@role='dismiss']")
    banner: Locator = _loc("xpath", "//*[@placement='{placement}']/*[@bannerId]")
    """the banner shown in a placement (absent when the placement is empty)"""
    banner_id_attribute: str = "bannerId"
    banner_button: Locator = _loc("xpath", "//*[@placement='{placement}']//*[@buttonId='{button_id}']")
    flag_gate: Locator = _loc("id", "new-checkout")
    """the element only shown when the feature flag is on"""

    @field_validator("iam", "iam_header", "iam_message", "iam_button", "card", "banner", "flag_gate")
    @classmethod
    def _readable(cls, locator: Locator) -> Locator:
        if locator.by not in SOURCE_STRATEGIES:
            raise ValueError(f"read from the page source, so `by` must be one of {', '.join(SOURCE_STRATEGIES)}")
        return locator


class PushReceiver(BaseModel):
    """The Android QA build's debug push-injection receiver (docs/mobile-wire.md, debug-push-receiver): an exported
    receiver that turns the broadcast's string extras into the FCM data `Bundle` and hands it to
    `BrazePushReceiver.handleReceivedIntent`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: str = Field(default=FCM_ROUTING_ACTION, pattern=r"^[A-Za-z0-9_.]+$")
    """the intent action the receiver listens to"""
    component: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.]+/[A-Za-z0-9_.$]+$")
    """`<package>/<receiver class>`, e.g. `com.example.shop/.debug.PushInjectReceiver`; None: any receiver of the
    app's package for `action` (the broadcast names the package: Android 8+ drops implicit broadcasts)"""


class Locators(BaseModel):
    """Per abstract action of `AppAdapter`, where the app's control is. Optional ones may be left out (None) when
    the app has no such control; an action that needs one then fails naming the field."""

    model_config = ConfigDict(extra="forbid")

    ready: Locator | None = _loc("id", "sdk-ready")
    """shown once the app (and its Braze SDK) is initialised; `launch()` waits for it"""
    login_field: Locator = _loc("id", "user-id")
    login_button: Locator = _loc("id", "login")
    logout_button: Locator | None = _loc("id", "logout")
    profile_fields: dict[str, Locator] = Field(
        default_factory=lambda: {"first_name": _loc("id", "first-name"), "email": _loc("id", "email")}
    )
    """standard attribute (wire name, see STANDARD_PROFILE_FIELDS) -> its input field"""
    profile_save: Locator | None = _loc("id", "save-profile")
    attribute_key: Locator | None = _loc("id", "attr-key")
    attribute_value: Locator | None = _loc("id", "attr-value")
    """the value is typed as JSON (`"jazz"`, `3`, `true`, `[1, 2]`)"""
    attribute_kind: Locator | None = _loc("id", "attr-kind")
    """a text field taking the AttributeKind; None: only kind='auto' is possible"""
    attribute_set: Locator | None = _loc("id", "set-attribute")
    event_name: Locator | None = _loc("id", "event-name")
    event_properties: Locator | None = _loc("id", "event-props")
    event_log: Locator | None = _loc("id", "log-event")
    purchase_product: Locator | None = _loc("id", "product-id")
    purchase_price: Locator | None = _loc("id", "price")
    purchase_currency: Locator | None = _loc("id", "currency")
    purchase_quantity: Locator | None = _loc("id", "quantity")
    purchase_properties: Locator | None = _loc("id", "purchase-props")
    purchase_button: Locator | None = _loc("id", "purchase")
    flush_button: Locator | None = _loc("id", "flush")
    """a debug-build button calling requestImmediateDataFlush()"""
    flush_deep_link: str | None = None
    """or a debug deep link doing the same (used when flush_button is None), e.g. `myapp://debug/braze-flush`"""
    push_enable: Locator | None = _loc("id", "push-enable")
    """the app's "enable push" control: it asks for the notification permission and registers for push"""
    push_unregister: Locator | None = _loc("id", "push-unregister")
    """a control calling `Braze.unregisterPush()` (Android 43+, Swift 18+)"""
    push_notification: Locator | None = _loc("xpath", "//MockNotification[@title='{title}']")
    """a delivered notification (Android shade / iOS banner) by its `{title}`; None: the platform's default
    (UiAutomator2 `//*[@text='{title}']`, XCUITest `label CONTAINS '{title}'` in the springboard)"""
    push_receiver: PushReceiver | None = None
    """Android: the QA build's debug push-injection receiver that `open_push` broadcasts the FCM data to"""
    screen: ScreenLocators = Field(default_factory=ScreenLocators)

    @field_validator("profile_fields")
    @classmethod
    def _known_fields(cls, fields: dict[str, Locator]) -> dict[str, Locator]:
        unknown = sorted(set(fields) - set(STANDARD_PROFILE_FIELDS))
        if unknown:
            raise ValueError(f"unknown profile field(s) {', '.join(unknown)}; known: {', '.join(STANDARD_PROFILE_FIELDS)}")
        return fields

    @classmethod
    def load(cls, source: str | Path | dict[str, Any], *, name: str = "locators", defaults: Defaults = "none") -> Self:
        """From a YAML file or a mapping; one `HarnessConfigError` naming every bad field.

        `defaults="none"` (an app of yours): a control left out is one the app does not have (None, no
        `profile_fields`), and `login_field`/`login_button` are required. `defaults="fake"`: fake_app.xml's ids."""
        if isinstance(source, dict):
            data, where = source, name
        else:
            path = Path(source)
            try:
                data = yaml.safe_load(path.read_text()) or {}
            except OSError as exc:
                raise HarnessConfigError(f"{name}: cannot read {path}: {exc.strerror}") from None
            except yaml.YAMLError as exc:
                raise HarnessConfigError(f"{name}: {path} is not valid YAML: {exc}") from None
            where = f"{name} ({path})"
        if not isinstance(data, dict):
            raise HarnessConfigError(f"{where}: expected a mapping of action -> {{by, value}}, got {type(data).__name__}")
        missing: list[str] = []
        if defaults == "none":
            missing = [f"{f}: Field required" for f in ("login_field", "login_button") if f not in data]
            absent = {f: None for f, info in cls.model_fields.items() if f not in data and info.is_required() is False}
            absent = {f: v for f, v in absent.items() if _optional(cls.model_fields[f].annotation)}
            data = {**absent, "profile_fields": {}, **data}
        try:
            locators = cls.model_validate(data)
        except ValidationError as exc:
            raise HarnessConfigError(f"{where}: {'; '.join([*missing, describe_errors(exc)])}") from None
        if missing:
            raise HarnessConfigError(f"{where}: {'; '.join(missing)}")
        return locators


def _optional(annotation: Any) -> bool:
    return type(None) in get_args(annotation)


def describe_errors(exc: ValidationError) -> str:
    """`login_field.by: Input should be 'id', ...; screen.card: Field required` — one line per field, no traceback."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "(top)"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


class SourceDialect(BaseModel):
    """How one platform's page source names things (for reading the screen from it)."""

    model_config = ConfigDict(frozen=True)

    id_attribute: str
    accessibility_attribute: str
    text_attribute: str | None  # None: the element's text content
    visible_attribute: str | None  # None: always visible
    visible_when_missing: bool = True

    def is_visible(self, node: Any) -> bool:
        if self.visible_attribute is None:
            return True
        value = node.get(self.visible_attribute)
        return self.visible_when_missing if value is None else value.lower() == "true"

    def text(self, node: Any) -> str:
        if self.text_attribute is None:
            return " ".join(part.strip() for part in node.itertext() if part.strip())
        return (node.get(self.text_attribute) or "").strip()


DIALECTS: dict[str, SourceDialect] = {
    # fake driver: the app XML itself (`visible="false"` hides, text is the element's content)
    "fake": SourceDialect(id_attribute="id", accessibility_attribute="id", text_attribute=None, visible_attribute="visible"),
    # UiAutomator2: <android.widget.TextView resource-id=… content-desc=… text=… displayed="true">
    "android": SourceDialect(
        id_attribute="resource-id", accessibility_attribute="content-desc", text_attribute="text", visible_attribute="displayed"
    ),
    # XCUITest: <XCUIElementTypeStaticText name=… label=… visible="true">
    "ios": SourceDialect(
        id_attribute="name", accessibility_attribute="name", text_attribute="label", visible_attribute="visible"
    ),
}
