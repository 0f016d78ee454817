"""How one SDK request (`/data/`, `push/unregister`) changes a workspace: routing to profiles, attributes, events,
sessions, push. The same rules for every store: the in-memory `EmulatorState` runs them on its workspaces under its
lock, the PostgreSQL store (state/store_pg.py) on a workspace read from the database inside one transaction.
Lock-free: the caller holds whatever makes the workspace its own while they run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from braze_harness.emulator.state import events, identity, push, sessions
from braze_harness.emulator.state.attributes import AttributeWriter
from braze_harness.emulator.state.profiles import DeviceUse, Profile
from braze_harness.emulator.state.workspaces import App, Workspace
from braze_harness.protocol.attributes import Attributes
from braze_harness.protocol.decode import DecodedRequest, Problem
from braze_harness.protocol.events import (
    ArrayAdd,
    ArrayRemove,
    ArraySet,
    CustomEvent,
    Event,
    Increment,
    LocationAttributeAdd,
    LocationAttributeRemove,
    LocationRecorded,
    NestedMerge,
    Purchase,
    SessionEnd,
    SessionStart,
    SubscriptionGroupUpdate,
    UserAliasAdded,
)
from braze_harness.protocol.requests import DataRequest, PushUnregisterRequest

# the locations of a batch's first events, made once (a problem's `where`; formatting one per event costs)
_EVENT_WHERE_KEPT = 64
_EVENT_WHERE = tuple(f"events[{index}]" for index in range(_EVENT_WHERE_KEPT))


@dataclass(slots=True)
class _Request:
    """What every item of one request shares while it is applied."""

    ws: Workspace
    app: App
    device_id: str | None
    device: dict[str, Any]
    sdk_version: str | None
    received_at: float
    problems: list[Problem]
    touched: set[str] = field(default_factory=set)  # profiles whose device use is already recorded


@dataclass(frozen=True, slots=True)
class SdkRules:
    """The options the rules depend on (EmulatorState's)."""

    keep_anonymous_events_on_merge: bool
    array_cap: int

    def apply(self, ws: Workspace, app: App, decoded: DecodedRequest, received_at: float) -> list[Problem]:
        """Apply `decoded` (a /data/ or push/unregister request with a body) to `ws`, the workspace of `app`: the
        problems of what could not be applied."""
        body = decoded.body
        assert body is not None
        req = _Request(ws, app, body.device_id, {}, body.sdk_version, received_at, [])
        if body.device_id:
            device = body.device.sent() if body.device is not None else None  # what was sent, as sent
            record = ws.record_device(app.api_key, body.device_id, device, body.sdk_version, body.app_version, received_at)
            req.device = record.device
            push.note_device(ws, app.api_key, body.device_id, device)  # OS push permission reported
        if isinstance(body, DataRequest):
            # attributes before events, the order /users/track documents (docs/server-behaviour.md, attributes)
            for index, attrs in enumerate(body.attributes):
                self._apply_attributes(req, attrs, f"attributes[{index}]", body.time)
            self._apply_events(req, body.events)
        elif isinstance(body, PushUnregisterRequest):
            self._unregister(req, body)
        return req.problems

    def _route(
        self, req: _Request, user_id: str | None, where: str, *, when: float, new_session: bool = False
    ) -> identity.Route | None:
        found = identity.route(
            req.ws,
            req.device_id,
            user_id,
            when=when,
            now=req.received_at,
            keep_logs=self.keep_anonymous_events_on_merge,
            new_session=new_session,
        )
        if found is None:
            req.problems.append(Problem(where=where, message="anonymous data without device_id: no profile to put it on"))
            return None
        if req.device_id and found.profile.braze_id not in req.touched:
            req.touched.add(found.profile.braze_id)
            found.profile.touch_device(
                DeviceUse(
                    device_id=req.device_id,
                    app=req.app.api_key,
                    platform=req.app.platform,
                    sdk_version=req.sdk_version,
                    device=events.copy_value(req.device),
                    first_seen=req.received_at,
                    last_seen=req.received_at,
                )
            )
        return found

    def _apply_attributes(self, req: _Request, attrs: Attributes, where: str, sent_at: float | None) -> None:
        # the envelope time is floored to whole seconds on web/Android: +1 keeps it an upper bound
        found = self._route(req, attrs.user_id, where, when=sent_at + 1.0 if sent_at is not None else float("inf"))
        if found is None:
            return
        profile = found.profile
        if not found.late:
            # attributes carry no time of their own: the envelope's (client clock, like event times) orders them;
            # without it they only name a first owner (received_at is the server's clock, not comparable)
            when = sent_at if sent_at is not None else req.received_at
            identity.note_current(req.ws, req.app.api_key, req.device_id, profile, when, switch=sent_at is not None)
        writer = AttributeWriter(profile, req.problems, self.array_cap, req.received_at, fill_only=found.late)
        writer.standard(where, attrs.standard_updates())
        self._apply_push(req, profile, attrs.push_updates(), where, late=found.late)
        writer.custom(f"{where}.custom", attrs.custom_updates())

    def _apply_push(self, req: _Request, profile: Profile, updates: dict[str, Any], where: str, *, late: bool) -> None:
        if not updates:
            return
        if req.device_id is None:
            req.problems.append(Problem(where=f"{where}.push_token", message="push attributes without device_id: not applied"))
            return
        key = (req.app.api_key, req.device_id)
        keys = {k: v for k, v in updates.items() if k in push.PUSH_KEY_FIELDS and v is not None}
        if "push_token" not in updates:
            token = profile.push_tokens.get(key)
            if token is not None:
                token.keys.update(keys)
            return
        value = updates["push_token"]
        if late and (value is None or push.holder(req.ws, *key) is not None):
            return  # a late anonymous "no token" / older token must not undo the known user's registration
        if value is None:
            push.remove_device(req.ws, *key)  # the device says it has no token (blocked permission: docs/web-sdk-wire.md, push)
            return
        # Android sends `remote_notification_enabled` in the device object next to the token (docs/mobile-wire.md, envelope-and-
        # device-object)
        enabled = req.device.get("remote_notification_enabled", True)
        push.register(req.ws, profile, *key, value, req.app.platform, enabled=bool(enabled), keys=keys)

    def _apply_events(self, req: _Request, batch: list[Event]) -> None:
        """`_apply_event` for each event, the usual one without the general routing: an event of a
        known user from a device that is already identified, already recorded on the user's profile
        in this request, and already speaking for that user (so `route` and `note_current` would
        change nothing). Anything else goes the general way."""
        device_id = req.device_id
        ws = req.ws
        app = req.app.api_key
        touched = req.touched
        # the user the device was found speaking for at an event, and their profile: applying events the fast way
        # (`_apply_routed`) changes none of what that was told from, so the user's next events need no lookups
        speaking_user: str | None = None
        speaking: Profile | None = None
        for index, event in enumerate(batch):
            where = _EVENT_WHERE[index] if index < _EVENT_WHERE_KEPT else f"events[{index}]"
            user_id = event.user_id
            if speaking is not None and user_id == speaking_user:
                self._apply_routed(req, event, where, speaking, False)
                continue
            state = ws.device_states.get(device_id) if user_id is not None and device_id is not None else None
            if state is not None and state.claimed_by is not None:
                braze_id = ws.by_external_id.get(user_id)
                profile = ws.profiles.get(braze_id) if braze_id else None
                if profile is not None and braze_id in touched:
                    current = state.current.get(app)
                    if current is not None and current[0] == braze_id:
                        speaking_user, speaking = user_id, profile
                        self._apply_routed(req, event, where, profile, False)
                        continue
                    if isinstance(event, SessionEnd) or (current is not None and event.time < current[1]):
                        self._apply_routed(req, event, where, profile, False)
                        continue
            speaking = None
            self._apply_event(req, event, where)

    def _apply_event(self, req: _Request, event: Event, where: str) -> None:
        ws, app = req.ws, req.app.api_key
        new_session = isinstance(event, SessionStart) and sessions.owner(ws, event.session_id) is None
        found = self._route(req, event.user_id, where, when=event.time, new_session=new_session)
        if found is None:
            return
        profile = found.profile
        if not found.late and not isinstance(event, SessionEnd):
            # an `se` describes the past; only newer activity says who the device speaks for now
            identity.note_current(ws, app, req.device_id, profile, event.time, switch=True)
        self._apply_routed(req, event, where, profile, found.late)

    def _apply_routed(self, req: _Request, event: Event, where: str, profile: Profile, late: bool) -> None:
        # the most frequent codes without the class-pattern chain below (same branch: the classes are final)
        kind = type(event)
        if kind is CustomEvent:
            events.custom_event(profile, event, req.device_id, where, req.problems, adopt=True)  # type: ignore[arg-type]
            return
        if kind is Purchase:
            events.purchase(profile, event, where, req.problems, adopt=True)  # type: ignore[arg-type]
            return
        if kind is SessionStart or kind is SessionEnd:
            self._apply_session(req, event, where, profile)  # type: ignore[arg-type]
            return
        writer = AttributeWriter(profile, req.problems, self.array_cap, req.received_at, late)
        if kind is Increment:
            writer.increment(f"{where}.data.value", event.data.key, event.data.value)
            return
        ws, app = req.ws, req.app.api_key
        match event:
            case SessionStart() | SessionEnd():
                self._apply_session(req, event, where, profile)
            case CustomEvent():
                events.custom_event(profile, event, req.device_id, where, req.problems, adopt=True)
            case Purchase():
                events.purchase(profile, event, where, req.problems, adopt=True)
            case ArraySet():
                writer.array_set(f"{where}.data.value", event.data.key, event.data.value)
            case ArrayAdd():
                writer.array_add(f"{where}.data.value", event.data.key, event.data.value)
            case ArrayRemove():
                writer.array_remove(f"{where}.data.value", event.data.key, event.data.value)
            case Increment():
                writer.increment(f"{where}.data.value", event.data.key, event.data.value)
            case NestedMerge():
                writer.nested_merge(f"{where}.data.value", event.data.key, event.data.value)
            case LocationAttributeAdd():
                writer.location_attribute(f"{where}.data", event.data.key, event.data.latitude, event.data.longitude)
            case LocationAttributeRemove():
                writer.remove_location_attribute(event.data.key)
            case LocationRecorded():
                writer.last_known_location(f"{where}.data", event.data.model_dump(exclude_unset=True), event.time)
            case UserAliasAdded():
                identity.add_alias(ws, profile, event.data.a, event.data.l, f"{where}.data", req.problems, fill_only=late)
            case SubscriptionGroupUpdate():
                writer.subscription_group(event.data.group_id, event.data.status)
            case _ if event.name in events.ENGAGEMENT_CODES:
                events.engagement(profile, event, app, req.device_id)
            case _:
                pass  # `ie`, internal and unknown codes: the decoder already reported them

    def _apply_session(self, req: _Request, event: SessionStart | SessionEnd, where: str, profile: Profile) -> None:
        if not event.session_id:
            message = "session event without session_id: not recorded"
            req.problems.append(Problem(where=f"{where}.session_id", message=message))
            return
        ws, app = req.ws, req.app.api_key
        # the session's current owner wins over routing: late `se`s, merged profiles (sessions.py)
        owner = sessions.owner(ws, event.session_id) or profile
        if isinstance(event, SessionStart):
            sessions.start(ws, owner, event.session_id, app, req.device_id, event.time)
        else:
            sessions.end(ws, owner, event.session_id, app, req.device_id, event.time, event.data.d)

    def _unregister(self, req: _Request, body: PushUnregisterRequest) -> None:
        removed = push.remove_device(req.ws, req.app.api_key, req.device_id) if req.device_id else False
        if body.push_token:
            removed = push.remove_value(req.ws, body.push_token) > 0 or removed
        if not removed:
            message = "push/unregister: no registered token for this device or value"
            req.problems.append(Problem(where="push_token", message=message))
