"""The in-app messaging side of a virtual SDK device: what the Android (43.x) / Swift (18.x) SDK does with the
triggers, Content Cards, feature flags and banners the server sends, and what it logs when they are shown.

    engine = device.messaging                 # every VirtualDevice has one
    device.open_session()                     # triggers arrive with the `ss` answer; the `open` trigger fires
    device.log_custom_event("checkout")       # matching triggers: the highest priority one is performed
    engine.displayed                          # the message on screen (one at a time), its `si` already logged
    engine.click_button(0)                    # `sbc` with the button's id; the message closes
    engine.feed()                             # the Content Cards, pinned first, then newest `ca` first
    engine.request_banners_refresh(["home"])  # POST banners/sync; `engine.banners` per placement

In-app messages (docs/mobile-wire.md, answers and in-app-message-json; docs/web-sdk-wire.md, in-app-messages;
docs/server-behaviour.md, in-app-message-delivery):

* trigger events: session start (`open`, evaluated once the `ss` answer carried the new trigger list, as the
  SDKs hold trigger events while a trigger sync is in flight), custom events (with property filters: outer
  list AND, inner OR), purchases (any, or one product, with property filters), push clicks (`push_click`);
* of the matching triggers that are live (`start_time`/`end_time` on the device clock) and re-eligible
  (`re_eligibility` seconds since it was last performed; -1 never), the highest `priority` is performed,
  unless less than the minimum interval passed since the last performed trigger: the trigger's own
  `min_seconds_since_last_trigger`, else `min_trigger_interval` (the SDKs' local setting, default 30 s:
  `com_braze_trigger_action_minimum_time_interval_seconds` / Swift `triggerMinimumTimeInterval`);
* a performed trigger is shown `delay` seconds later (device clock); a `templated_iam` first POSTs
  `template` (the triggering event in `template.data`) and shows the answer's `templated_message.data`; when
  that fails or is aborted (no `templated_message`), the next priority that matched the event is performed;
* a control message (`is_control` or type `CONTROL`) logs `iec` and shows nothing;
* one message on screen at a time; one triggered meanwhile waits on a stack and shows when the screen is
  free (inferred); nothing shows while the app is in the background (it waits for the foreground);
* shown: `si` once; body click: `sc` and the message closes (ignored on a modal/full message with buttons, as
  Android's `DefaultInAppMessageViewWrapper` does; the same on iOS, inferred); button: `sbc` with the button id and it
  closes; close: nothing is logged;
  `AUTO_DISMISS` messages close `duration` ms later (device clock).

Content Cards (docs/mobile-wire.md, content-card-json): the feed is the synced cards minus the locally dismissed and
the expired ones (`ea` on the device clock), pinned first, then newest `ca` first; `cci` / `ccic` (control) / `ccc` /
`ccd` with `ids: [card_id]`; a dismissed card stays gone locally even if a later sync sends it again.
Feature flags: `ffi` (`fid`, `fts`) once per session per flag, only for a cached flag with a tracking string.
Banners: the same `banners/sync` as the Web SDK (Android, from the SDK binary:
docs/mobile-wire.md, endpoints and answers; Swift inferred); `bi` (`ids`) once per session per banner, `bc` (`id`, `bid`).

Everything runs in the caller's thread under the device's lock; `process()` (called by the device after
each flush and logged event, and by the screen when it polls) performs what is due. The engine sees its device
only through `DeviceSide` (below), which `VirtualDevice` implements with public members: this module does not
import the device.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from braze_harness.devices.virtual.clock import DeviceClock
from braze_harness.devices.virtual.transport import Delivery
from braze_harness.protocol.responses import ServerConfig

DEFAULT_MIN_TRIGGER_INTERVAL = 30.0  # seconds (Android and Swift default)
CHANNELS = ("content_cards", "feature_flags", "banners")
IMMERSIVE = ("MODAL", "MODAL_STYLED", "FULL")
_NEVER: Any = object()
IAM_KINDS = {"SLIDEUP": "slideup", "MODAL": "modal", "MODAL_STYLED": "modal", "FULL": "fullscreen"}


# ---------------------------------------------------------------------- trigger events and matching


@dataclass(slots=True)
class TriggerEvent:
    """Something that may trigger an in-app message: `kind` is `open`, `custom_event`, `purchase` or
    `push_click`; `name` the event name / product id / push campaign id; `event` the logged event."""

    kind: str
    time: float
    name: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    event: dict[str, Any] | None = None


def trigger_event_of(event: Mapping[str, Any], time: float) -> TriggerEvent | None:
    """The trigger event a logged event is (None: it triggers nothing)."""
    data = event.get("data") if isinstance(event.get("data"), Mapping) else {}
    match event.get("name"):
        case "ce":
            return TriggerEvent("custom_event", time, data.get("n"), dict(data.get("p") or {}), dict(event))
        case "p":
            return TriggerEvent("purchase", time, data.get("pid"), dict(data.get("pr") or {}), dict(event))
        case "pc":
            return TriggerEvent("push_click", time, data.get("cid"), {}, dict(event))
    return None


def condition_matches(condition: Mapping[str, Any], event: TriggerEvent) -> bool:
    """One `trigger_condition` item against one trigger event."""
    data = condition.get("data")
    if not isinstance(data, dict):  # JSON objects: plain dicts (isinstance of Mapping is slower, this is hot)
        data = {}
    match condition.get("type"):
        case "open":
            return event.kind == "open"
        case "custom_event" | "custom_event_property" as kind:
            if event.kind != "custom_event" or data.get("event_name") != event.name:
                return False
            return kind == "custom_event" or filters_match(data.get("property_filters"), event.properties)
        case "purchase" | "purchase_property" as kind:
            if event.kind != "purchase" or (data.get("product_id") not in (None, "") and data["product_id"] != event.name):
                return False
            return kind == "purchase" or filters_match(data.get("property_filters"), event.properties)
        case "push_click":
            return event.kind == "push_click" and data.get("campaign_id") in (None, "", event.name)
    return False  # `test`, `iam_click` and unknown types are not modelled


def filters_match(filters: Any, properties: Mapping[str, Any]) -> bool:
    """`property_filters`: the outer list is AND, each inner list OR."""
    if not filters:
        return True
    groups = [g if isinstance(g, list) else [g] for g in filters]
    return all(any(_filter_holds(f, properties) for f in group if isinstance(f, Mapping)) for group in groups)


def _filter_holds(f: Mapping[str, Any], properties: Mapping[str, Any]) -> bool:
    key, comparator, wanted = f.get("property_key"), f.get("comparator"), f.get("property_value")
    present = key in properties and properties[key] is not None
    if comparator == 11:
        return present
    if comparator == 12:
        return not present
    if not present:
        return False
    actual = properties[key]
    kind = f.get("property_type") or "string"
    if comparator in (10, 17):
        found = isinstance(actual, str) and re.search(str(wanted), actual) is not None
        return found if comparator == 10 else not found
    a, w = _typed(actual, kind), _typed(wanted, kind)
    if a is None or w is None:
        return False
    try:
        match comparator:
            case 1:
                return a == w
            case 2:
                return a != w
            case 3:
                return a > w
            case 4:
                return a >= w
            case 5:
                return a < w
            case 6:
                return a <= w
    except TypeError:
        return False
    return False  # date-relative comparators (15, 16) are not modelled


def _typed(value: Any, kind: str) -> Any:
    """A property value as the filter's type compares it (None: not comparable)."""
    if kind == "number":
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    if kind == "date":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return None
            return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()
        return None
    return value if isinstance(value, str) else None


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# ---------------------------------------------------------------------- in-app messages


@dataclass(slots=True)
class InAppMessage:
    """A message the SDK is about to show or shows: its IAM JSON (docs/mobile-wire.md, in-app-message-json)."""

    data: dict[str, Any]
    trigger: str  # the trigger (campaign) id it came from
    shown_at: float | None = None
    impression_logged: bool = False
    click_logged: bool = False

    @property
    def trigger_id(self) -> str:
        return str(self.data.get("trigger_id") or "")

    @property
    def type(self) -> str:
        return str(self.data.get("type") or "").upper()

    @property
    def kind(self) -> str:
        return IAM_KINDS.get(self.type, "html" if "HTML" in self.type else self.type.lower() or "unknown")

    @property
    def auto_dismiss_at(self) -> float | None:
        """When an `AUTO_DISMISS` message closes by itself (`duration` ms after it was shown)."""
        if self.shown_at is None or str(self.data.get("message_close") or "").upper() != "AUTO_DISMISS":
            return None
        return self.shown_at + (_seconds(self.data.get("duration")) or 5000) / 1000

    @property
    def is_control(self) -> bool:
        return bool(self.data.get("is_control")) or self.type == "CONTROL"

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [b for b in self.data.get("btns") or [] if isinstance(b, Mapping)]


@dataclass(slots=True)
class _Pending:
    trigger: dict[str, Any]
    event: TriggerEvent
    due: float
    fallbacks: list[dict[str, Any]] = field(default_factory=list)  # the next priorities, if a template fails


Listener = Callable[[set[str]], None]


class DeviceSide(Protocol):
    """What the engine needs from its device (`VirtualDevice` implements it): the device's lock and clock, who and
    where the app is, what the server sent it, and how to log an event or send a request."""

    @property
    def lock(self) -> AbstractContextManager[Any]: ...
    @property
    def clock(self) -> DeviceClock: ...
    @property
    def user_id(self) -> str | None: ...
    @property
    def session_id(self) -> str | None: ...
    @property
    def in_foreground(self) -> bool: ...
    @property
    def config_time(self) -> int: ...
    @property
    def server_config(self) -> ServerConfig | None: ...
    @property
    def triggers(self) -> list[dict[str, Any]]: ...
    @property
    def content_cards(self) -> dict[str, dict[str, Any]]: ...
    @property
    def feature_flags(self) -> list[dict[str, Any]]: ...

    def log_event(self, name: str, data: Any = ..., *, auto_flush: bool = True) -> bool: ...

    def send(self, endpoint: str, fields: Mapping[str, Any] | None = None, *, flags: Mapping[str, str] | None = None) -> Delivery:
        """POST `endpoint`: the device's envelope and user, then `fields`; the device's headers with `flags`."""
        ...


class MessagingEngine:
    def __init__(self, device: DeviceSide, *, min_trigger_interval: float = DEFAULT_MIN_TRIGGER_INTERVAL) -> None:
        self.device = device
        self.min_trigger_interval = float(min_trigger_interval)
        self._listeners: list[Listener] = []
        self._processing = False
        self.reset()

    def reset(self) -> None:
        """Forget everything (`wipeData()`)."""
        self._events: list[TriggerEvent] = []
        self._pending: list[_Pending] = []
        self.stack: list[InAppMessage] = []  # triggered while another was on screen or the app in the background
        self.displayed: InAppMessage | None = None
        self.shown: list[InAppMessage] = []  # every message displayed so far (for tests)
        self.performed: dict[str, float] = {}  # trigger id -> when it was last performed (re-eligibility)
        self.last_trigger_time: float | None = None  # the minimum interval counts from here
        self.suppressed: list[tuple[str, str]] = []  # (trigger id, why) of matches not performed
        self.dismissed_cards: set[str] = set()
        self.banners: dict[str, dict[str, Any]] = {}  # placement -> banner JSON
        self.banners_time_ms = 0
        self._logged_once: set[tuple[str, str, str]] = set()  # (code, session id, id): ffi / bi once a session
        self._snapshots: dict[str, Any] = {}

    # -- inputs from the device ------------------------------------------------------------------

    def session_started(self, time: float) -> None:
        """A new session: the `open` trigger event, evaluated after the `ss` answer brought the triggers."""
        self._events.append(TriggerEvent("open", time))

    def event_logged(self, event: Mapping[str, Any]) -> None:
        found = trigger_event_of(event, self.device.clock.now())
        if found is not None:
            self._events.append(found)

    def subscribe(self, listener: Listener) -> None:
        """`listener(channels)` runs (in `process()`) when the cards, flags or banners the device holds changed
        (the first `process()` reports every channel)."""
        self._listeners.append(listener)

    # -- the loop ----------------------------------------------------------------------------------

    def process(self) -> None:
        """Perform what is due: trigger events, delayed messages, the display stack, auto-dismissal, and
        tell the listeners what changed. Re-entrant calls (events logged while processing) return at once."""
        with self.device.lock:
            if self._processing:
                return
            self._processing = True
            try:
                for _ in range(100):  # a listener or a display may log events that trigger more: bounded
                    if not self._step():
                        break
            finally:
                self._processing = False

    def _step(self) -> bool:
        worked = False
        now = self.device.clock.now()
        while self._events:
            self._evaluate(self._events.pop(0))
            worked = True
        for pending in [p for p in self._pending if p.due <= now]:
            self._pending.remove(pending)
            self._perform(pending)
            worked = True
        shown = self.displayed
        if shown is not None and shown.auto_dismiss_at is not None and now >= shown.auto_dismiss_at:
            self._close()
            worked = True
        if self.displayed is None and self.stack and self.device.in_foreground:
            self._display(self.stack.pop())
            worked = True
        changed = self._changed()
        if changed:
            for listener in list(self._listeners):
                listener(changed)
            worked = True
        return worked

    def _changed(self) -> set[str]:
        """Channels to re-render: flags and banners after every refresh (each answer is a new object; the SDKs'
        subscribers are called on each refresh), cards when their content changed."""
        current = {
            "content_cards": dict(self.device.content_cards),
            "feature_flags": self.device.feature_flags,
            "banners": self.banners,
        }
        changed = set()
        for key, value in current.items():
            old = self._snapshots.get(key, _NEVER)
            if (old != value) if key == "content_cards" else (old is not value):
                changed.add(key)
        self._snapshots = current
        return changed

    # -- triggers ----------------------------------------------------------------------------------

    def _evaluate(self, event: TriggerEvent) -> None:
        candidates = []
        for trigger in self.device.triggers:
            if not isinstance(trigger, dict) or not any(
                condition_matches(c, event) for c in trigger.get("trigger_condition") or () if isinstance(c, dict)
            ):
                continue
            why = self._ineligible(trigger, event.time)
            if why:
                self.suppressed.append((str(trigger.get("id")), why))
                continue
            candidates.append(trigger)
        if not candidates:
            return
        candidates.sort(key=lambda t: -(_seconds(t.get("priority")) or 0.0))  # stable: the first one of a tie
        best = candidates[0]
        interval = _seconds(best.get("min_seconds_since_last_trigger"))
        interval = self.min_trigger_interval if interval is None or interval < 0 else interval
        if self.last_trigger_time is not None and event.time - self.last_trigger_time < interval:
            self.suppressed.append((str(best.get("id")), f"within {interval:g} s of the last trigger"))
            return
        self.last_trigger_time = event.time
        self._schedule(best, event, event.time, candidates[1:])

    def _schedule(self, trigger: Mapping[str, Any], event: TriggerEvent, now: float, fallbacks: list[dict[str, Any]]) -> None:
        self.performed[str(trigger.get("id"))] = now
        delay = _seconds(trigger.get("delay")) or 0.0
        self._pending.append(_Pending(dict(trigger), event, now + delay, [dict(f) for f in fallbacks]))

    def _ineligible(self, trigger: Mapping[str, Any], now: float) -> str | None:
        start, end = _seconds(trigger.get("start_time")), _seconds(trigger.get("end_time"))
        if start is not None and start > 0 and now < start:
            return "before its start_time"
        if end is not None and end > 0 and now > end:
            return "after its end_time"
        last = self.performed.get(str(trigger.get("id")))
        if last is not None:
            again = _seconds(trigger.get("re_eligibility"))
            if again is None or again < 0:
                return "not re-eligible"
            if now - last < again:
                return f"re-eligible {again:g} s after the last time"
        return None

    def _perform(self, pending: _Pending) -> None:
        trigger = pending.trigger
        data = trigger.get("data") if isinstance(trigger.get("data"), Mapping) else {}
        if trigger.get("type") == "templated_iam":
            fetched = self.fetch_template(str(data.get("trigger_id") or ""), pending.event)
            if fetched is None:
                # failed or aborted (`abort_message`): the SDKs fall back to the next priority matched by the same event
                self.suppressed.append((str(trigger.get("id")), "template request failed or aborted"))
                if pending.fallbacks:
                    self._schedule(pending.fallbacks[0], pending.event, self.device.clock.now(), pending.fallbacks[1:])
                return
            data = fetched
        message = InAppMessage(dict(data), str(trigger.get("id")))
        if message.is_control:
            self.device.log_event("iec", {"trigger_ids": [message.trigger_id]})
            return
        self.stack.append(message)

    def fetch_template(self, trigger_id: str, event: TriggerEvent) -> dict[str, Any] | None:
        """POST `template` as the SDKs do for a `templated_iam`
        (docs/mobile-wire.md, answers; docs/web-sdk-wire.md, in-app-messages): the answer's `templated_message.data`
        is the message (None when the request failed)."""
        device = self.device
        template = {"trigger_id": trigger_id, "trigger_event_type": event.kind, "data": event.event or {}}
        respond_with: dict[str, Any] = {"config": {"config_time": device.config_time}}
        if device.user_id is not None:
            respond_with["user_id"] = device.user_id
        delivery = device.send("template", {"template": template, "respond_with": respond_with})
        answer = delivery.body if delivery.ok and isinstance(delivery.body, dict) else {}
        templated = answer.get("templated_message")
        data = templated.get("data") if isinstance(templated, Mapping) else None
        return dict(data) if isinstance(data, Mapping) else None

    # -- the message on screen -----------------------------------------------------------------------

    def _display(self, message: InAppMessage) -> None:
        message.shown_at = self.device.clock.now()
        self.displayed = message
        self.shown.append(message)
        if not message.impression_logged:
            message.impression_logged = True
            self.device.log_event("si", {"trigger_ids": [message.trigger_id]})

    def _close(self) -> None:
        self.displayed = None

    def _on_screen(self) -> InAppMessage:
        self.process()
        if self.displayed is None:
            raise LookupError("no in-app message is displayed")
        return self.displayed

    def click(self) -> bool:
        """A tap on the message body: `sc` (once) and the message closes. A message with buttons ignores
        body taps (Android's immersive messages); returns whether the tap did anything."""
        with self.device.lock:
            message = self._on_screen()
            if message.type in IMMERSIVE and message.buttons:
                return False
            if not message.click_logged:
                message.click_logged = True
                self.device.log_event("sc", {"trigger_ids": [message.trigger_id]})
            self._close()
            self.process()
            return True

    def click_button(self, index: int) -> None:
        """Button `index` (0-based): `sbc` with its id; the message closes (NONE and URI actions alike)."""
        with self.device.lock:
            message = self._on_screen()
            buttons = message.buttons
            if not 0 <= index < len(buttons):
                raise LookupError(f"the message has {len(buttons)} button(s), no button {index}")
            self.device.log_event("sbc", {"trigger_ids": [message.trigger_id], "bid": buttons[index].get("id")})
            self._close()
            self.process()

    def close(self) -> None:
        """The close button / swipe: nothing is logged (no SDK event for a close)."""
        with self.device.lock:
            self._on_screen()
            self._close()
            self.process()

    def app_restarted(self) -> None:
        """The process died: what was on screen or waiting to show is gone (the SDK's stores persist)."""
        with self.device.lock:
            self.displayed = None
            self.stack.clear()
            self._pending.clear()

    # -- content cards -------------------------------------------------------------------------------

    def feed(self) -> list[dict[str, Any]]:
        """The cards a feed shows (control cards included: they render empty): synced, not dismissed here, not
        expired; pinned first, then newest `ca` first."""
        now = self.device.clock.now()
        cards = [
            c
            for cid, c in self.device.content_cards.items()
            if cid not in self.dismissed_cards and not c.get("d") and not _expired(c.get("ea"), now)
        ]
        return sorted(cards, key=lambda c: (not _truthy(c.get("p")), -(_seconds(c.get("ca")) or 0.0)))

    def card(self, card_id: str) -> dict[str, Any]:
        for c in self.feed():
            if c.get("id") == card_id:
                return c
        raise LookupError(f"no card {card_id!r} in the feed (feed: {[c.get('id') for c in self.feed()]})")

    def log_card_impression(self, card_id: str) -> bool:
        code = "ccic" if self.card(card_id).get("tp") == "control" else "cci"
        return self.device.log_event(code, {"ids": [card_id]})

    def log_card_click(self, card_id: str) -> bool:
        self.card(card_id)
        return self.device.log_event("ccc", {"ids": [card_id]})

    def dismiss_card(self, card_id: str) -> bool:
        """`ccd`, and the card stays gone locally (later syncs that still send it do not bring it back)."""
        with self.device.lock:
            card = self.card(card_id)
            if not _truthy(card.get("db", True)):
                raise LookupError(f"card {card_id!r} is not dismissible")
            self.dismissed_cards.add(card_id)
            return self.device.log_event("ccd", {"ids": [card_id]})

    # -- feature flags -------------------------------------------------------------------------------

    def flag(self, flag_id: str) -> dict[str, Any] | None:
        return next((f for f in self.device.feature_flags if isinstance(f, Mapping) and f.get("id") == flag_id), None)

    def log_feature_flag_impression(self, flag_id: str) -> bool:
        """`ffi` once per session per flag; nothing for a flag not in the cache or without a tracking string."""
        flag = self.flag(flag_id)
        if flag is None or not flag.get("fts"):
            return False
        return self._once("ffi", flag_id, {"fid": flag_id, "fts": flag["fts"]})

    def _once(self, code: str, ident: str, data: dict[str, Any]) -> bool:
        key = (code, str(self.device.session_id), ident)
        if key in self._logged_once:
            return False
        self._logged_once.add(key)
        return self.device.log_event(code, data)

    # -- banners -------------------------------------------------------------------------------------

    def request_banners_refresh(self, placements: Iterable[str]) -> Delivery | None:
        """`requestBannersRefresh(placements)`: POST `banners/sync` (the Web SDK's endpoint; Android's per
        (docs/mobile-wire.md, endpoints and answers), Swift's inferred). Nothing is sent before the server config
        enables banners; the list is cut to `max_placements`. The answer replaces the banners (an answer older than
        the request is ignored)."""
        device = self.device
        with device.lock:
            config = (device.server_config.banners if device.server_config else None) or {}
            if not config.get("enabled"):
                return None
            wanted = list(dict.fromkeys(placements))[: int(config.get("max_placements") or 0)]
            if not wanted:
                return None
            time_ms = int(device.clock.now() * 1000)
            fields = {"time_ms": time_ms, "placements": [{"id": p} for p in wanted], "pending_dismissals": []}
            delivery = device.send("banners/sync", fields, flags={"banners": "true"})
            if delivery.ok and isinstance(delivery.body, dict):
                self._read_banners(delivery.body, time_ms)
            self.process()
            return delivery

    def _read_banners(self, answer: dict[str, Any], time_ms: int) -> None:
        stamp = _seconds(answer.get("request_time"))
        if stamp is not None and stamp < time_ms:
            return  # stale (docs/web-sdk-wire.md, banners); the same on mobile is inferred
        raw = answer.get("banners")
        found: dict[str, dict[str, Any]] = {}
        # the Web SDK's shape {placement: {"banner": {...}}} (what the emulator sends),
        # or the Android list (docs/mobile-wire.md, answers)
        items = raw.values() if isinstance(raw, Mapping) else raw if isinstance(raw, list) else []
        for item in items:
            banner = item.get("banner") if isinstance(item, Mapping) and "banner" in item else item
            if isinstance(banner, Mapping) and banner.get("placement_id"):
                found[str(banner["placement_id"])] = dict(banner)
        self.banners = found
        self.banners_time_ms = time_ms

    def log_banner_impression(self, banner_id: str) -> bool:
        """`bi` once per session per banner [I: the Web SDK logs each call; the apps here render once]."""
        return self._once("bi", banner_id, {"ids": [banner_id]})

    def log_banner_click(self, banner_id: str, button_id: str | None = None) -> bool:
        data: dict[str, Any] = {"id": banner_id}
        if button_id is not None:
            data["bid"] = button_id
        return self.device.log_event("bc", data)


def _truthy(value: Any) -> bool:
    return value is True or value == 1 or value == "true"  # booleans may arrive as 0/1 (docs/mobile-wire.md, content-card-json)


def _expired(expires_at: Any, now: float) -> bool:
    ea = _seconds(expires_at)
    return ea is not None and ea > 0 and ea <= now
