"""`EmulatorState`: the one thread-safe entry point to workspaces, apps and profiles."""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from braze_harness.emulator.state import csv_rows, events, identity, push, rest_identity, rest_users, sessions
from braze_harness.emulator.state.attributes import AttributeWriter
from braze_harness.emulator.state.profiles import DeviceUse, Profile, profile_view
from braze_harness.emulator.state.workspaces import App, Registry, Workspace
from braze_harness.protocol.attributes import Attributes
from braze_harness.protocol.csv_users import Kind, Row, RowIssue
from braze_harness.protocol.decode import DecodedRequest, Endpoint, Problem
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
from braze_harness.protocol.platform import platform_signal
from braze_harness.protocol.requests import DataRequest, PushUnregisterRequest

DEFAULT_WORKSPACE = "default"


def _platform_of(decoded: DecodedRequest) -> str | None:
    """The platform `decoded` shows, None if nothing in it decides (braze_harness.protocol.platform)."""
    body = decoded.body
    return platform_signal(decoded.headers, body.device if body is not None else None, decoded.device_id)


# the locations of a batch's first events, made once (a problem's `where`; formatting one per event costs)
_EVENT_WHERE_KEPT = 64
_EVENT_WHERE = tuple(f"events[{index}]" for index in range(_EVENT_WHERE_KEPT))


class UnknownApiKey(Exception):
    """An SDK api key no app has, under the `reject` policy. The HTTP layer answers `invalid_api_key`."""

    def __init__(self, api_key: str) -> None:
        super().__init__(f"unknown api key {api_key!r}")
        self.api_key = api_key


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


class EmulatorState:
    def __init__(
        self,
        *,
        unknown_api_keys: Literal["auto_create", "reject"] = "auto_create",
        keep_anonymous_events_on_merge: bool = True,
        array_cap: int = 500,
    ) -> None:
        if unknown_api_keys not in ("auto_create", "reject"):
            raise ValueError(f"unknown_api_keys must be 'auto_create' or 'reject', not {unknown_api_keys!r}")
        if array_cap < 1:
            raise ValueError("array_cap must be at least 1")
        self.unknown_api_keys = unknown_api_keys
        # the docs disagree on whether anonymous raw history survives a merge (docs/server-behaviour.md, anonymous-history-on-
        # merge)
        self.keep_anonymous_events_on_merge = keep_anonymous_events_on_merge
        # 500 per the current docs; older pages say 25 (up to 100) (docs/server-behaviour.md, array-length)
        self.array_cap = array_cap
        self._lock = threading.RLock()
        self._registry = Registry()
        self._version = 0

    # --- workspaces and apps --------------------------------------------------------------------

    @property
    def version(self) -> int:
        """Increments on every change: compare two readings for cheap change detection."""
        return self._version

    def create_app(
        self, api_key: str, *, workspace: str, scope: str | None = None, platform: str = "web", name: str | None = None
    ) -> App:
        """Register an app; its workspace is created on demand. Raises ValueError when the key is in
        another workspace or the workspace belongs to another scope."""
        with self._lock:
            known = self._registry.apps.get(api_key)
            app = App(api_key=api_key, workspace=workspace, scope=scope, platform=platform, name=name)
            if known == app:
                return known
            self._registry.add_app(app)
            self._version += 1
            return app

    def ensure_workspace(self, name: str, scope: str | None) -> None:
        """The workspace, created if new (a REST key's, before any app of it); ValueError if another scope's."""
        with self._lock:
            self._registry.workspace(name, scope)

    def app(self, api_key: str, sender: DecodedRequest | None = None) -> App:
        """The app of an SDK key; an unknown key is auto-created in workspace "default" or rejected.

        `sender`: the request that brought the key; an app created for it gets the platform of the SDK that sent
        it (`braze_harness.protocol.platform.platform_signal`); when that request shows none, "web" until a later
        request of the key shows one."""
        known = self._registry.apps.get(api_key)  # the usual: a known key (one dict read needs no lock)
        if known is not None:
            if known.platform_guessed and sender is not None:
                return self._settle_platform(known, sender)
            return known
        with self._lock:
            known = self._registry.apps.get(api_key)
            if known is not None:
                return known
            if self.unknown_api_keys == "reject":
                raise UnknownApiKey(api_key)
            platform = None if sender is None else _platform_of(sender)
            app = self._registry.add_app(
                App(
                    api_key=api_key, workspace=DEFAULT_WORKSPACE, auto_created=True,
                    platform=platform or "web", platform_guessed=sender is not None and platform is None,
                )
            )  # fmt: skip
            self._version += 1
            return app

    def _settle_platform(self, app: App, sender: DecodedRequest) -> App:
        """An app created on the default platform takes the first platform a later request of its key shows."""
        platform = _platform_of(sender)
        if platform is None:
            return app
        with self._lock:
            current = self._registry.apps[app.api_key]
            if not current.platform_guessed:
                return current
            self._version += 1
            return self._registry.add_app(dataclasses.replace(current, platform=platform, platform_guessed=False))

    def apps(self, *, scope: str | None = None) -> list[App]:
        with self._lock:
            return [a for a in self._registry.apps.values() if scope is None or a.scope == scope]

    def scope_of_api_key(self, api_key: str) -> str | None:
        with self._lock:
            known = self._registry.apps.get(api_key)
            return known.scope if known else None

    def reset(self, scope: str | None = None) -> None:
        """None: forget everything. Otherwise drop only that scope's workspaces, apps and profiles."""
        with self._lock:
            self._registry.reset(scope)
            self._version += 1

    def rest_track(self, app: App, body: Any) -> dict[str, Any]:
        """`POST /users/track` in `app`'s workspace (state/rest_users.py); RestInputError on a fatal mistake."""
        with self._lock:
            out = rest_users.track(self._registry.workspace_of(app), body, array_cap=self.array_cap)
            self._version += 1
            return out

    def import_rows(self, app: App, kind: Kind, rows: list[Row], *, update_existing_only: bool) -> list[RowIssue]:
        """One batch of a CSV user import in `app`'s workspace (state/csv_rows.py): the issues of failed rows."""
        with self._lock:
            ws = self._registry.workspace_of(app)
            out = csv_rows.apply_rows(ws, kind, rows, update_existing_only=update_existing_only, array_cap=self.array_cap)
            self._version += 1
            return out

    def rest_export_ids(self, app: App, body: Any) -> dict[str, Any]:
        """`POST /users/export/ids` in `app`'s workspace."""
        with self._lock:
            return rest_users.export_ids(self._registry.workspace_of(app), body)

    def rest_identity(self, app: App, path: str, body: Any) -> dict[str, Any]:
        """`POST /users/identify`, `/users/alias/*`, `/users/merge`, `/users/external_ids/*`, `/users/delete` in `app`'s
        workspace (state/rest_identity.py); RestInputError on a fatal mistake."""
        with self._lock:
            out = rest_identity.HANDLERS[path](self._registry.workspace_of(app), body, now=time.time())
            self._version += 1
            return out

    def forget_devices(self, device_ids: list[str] | set[str]) -> int:
        """Drop the profiles seen only on these devices (in any workspace); how many were dropped."""
        with self._lock:
            removed = self._registry.forget_devices(set(device_ids))
            self._version += 1
            return removed

    # --- reading ----------------------------------------------------------------------------------

    def profiles(
        self,
        *,
        external_id: str | None = None,
        device_id: str | None = None,
        braze_id: str | None = None,
        workspace: str | None = None,
        scope: str | None = None,
        api_key: str | None = None,
    ) -> list[Profile]:
        """Profiles matching every given filter, as snapshots (safe to read while traffic goes on).

        `api_key` selects the profiles of that app's workspace (profiles belong to workspaces, not
        apps); `device_id` those seen on the device; an unknown api key matches nothing."""
        with self._lock:
            if api_key is not None:
                app = self._registry.apps.get(api_key)
                if app is None or (workspace is not None and workspace != app.workspace):
                    return []
                workspace = app.workspace
            found = []
            for ws in self._registry.workspaces.values():
                if (workspace is not None and ws.name != workspace) or (scope is not None and ws.scope != scope):
                    continue
                for p in ws.profiles.values():
                    if external_id is not None and p.external_id != external_id:
                        continue
                    if braze_id is not None and p.braze_id != braze_id:
                        continue
                    if device_id is not None and not any(d.device_id == device_id for d in p.devices.values()):
                        continue
                    found.append(copy.deepcopy(p))
            return found

    def index_errors(self) -> list[str]:
        """Self-check: every place an index disagrees with the profiles (empty when consistent)."""
        with self._lock:
            return [e for ws in self._registry.workspaces.values() for e in ws.index_errors()]

    def profile_json(self, profile: Profile) -> dict[str, Any]:
        with self._lock:
            return profile_view(profile)

    # --- writing ----------------------------------------------------------------------------------

    def apply(self, decoded: DecodedRequest, *, received_at: float) -> list[Problem]:
        """Apply a decoded /data/ or push/unregister request; anything else is a no-op.

        Never raises on bad data: what cannot be applied is returned as problems and the rest still
        applies. Raises UnknownApiKey for an unknown key under the `reject` policy.

        The request is handed over: what the profiles keep of it (event properties) is kept as decoded, not
        copied, so it must not be changed afterwards. (The pipeline only answers and journals it, and the
        journal decodes its text again when read; profiles are read as copies.)"""
        body = decoded.body
        if decoded.endpoint not in (Endpoint.DATA, Endpoint.PUSH_UNREGISTER) or body is None:
            return []
        api_key = decoded.api_key
        if not api_key:
            return [Problem(where="api_key", message="no api key: request not applied")]
        with self._lock:
            app = self.app(api_key, decoded)
            ws = self._registry.workspace_of(app)
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
            self._version += 1
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
