"""Workspaces -> apps (by SDK api key) and the profiles and indexes that live in one workspace.

A workspace is the unit of profile isolation: the SDK api key only says which app and hence which
workspace the data lands in (docs/server-behaviour.md, workspaces-and-api-keys and emulator-rules), so a test key and a prod key
in two
workspaces never share a profile even for the same external_id.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from braze_harness.emulator.state.profiles import DeviceKey, Profile, new_braze_id


@dataclass(frozen=True, slots=True)
class App:
    api_key: str
    workspace: str
    scope: str | None = None
    platform: str = "web"
    name: str | None = None
    auto_created: bool = False
    platform_guessed: bool = False  # auto-created on the default: the first request that shows its platform sets it


@dataclass(slots=True)
class DeviceState:
    """What a device's traffic implies about identity, per workspace (identity.py reads and writes it)."""

    device_id: str
    anonymous: str | None = None  # braze_id of the device's unclaimed anonymous profile
    claimed_by: str | None = None  # braze_id of the first known profile seen on the device
    claimed_at: float = float("inf")  # client time of the identification (inf: unknown)
    # per app: the profile the SDK is currently logged in as, and the time that was established
    current: dict[str, tuple[str, float]] = field(default_factory=dict)


@dataclass(slots=True)
class DeviceRecord:
    """The latest device object per (app, device): the SDK only sends what changed (docs/mobile-wire.md, envelope-and-device-
    object)."""

    app: str
    device_id: str
    device: dict[str, Any] = field(default_factory=dict)
    sdk_version: str | None = None
    app_version: str | None = None
    first_seen: float = 0.0
    last_seen: float = 0.0


@dataclass(slots=True)
class Workspace:
    name: str
    scope: str | None = None
    apps: dict[str, App] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)  # by braze_id, in creation order
    by_external_id: dict[str, str] = field(default_factory=dict)
    by_alias: dict[tuple[str, str], str] = field(default_factory=dict)  # (label, name) -> braze_id
    # REST /users/external_ids/rename: an old external id still finds its profile until removed (state/rest_identity.py)
    deprecated_external_ids: dict[str, str] = field(default_factory=dict)  # old external_id -> braze_id
    session_owner: dict[str, str] = field(default_factory=dict)  # session_id -> braze_id
    token_holder: dict[DeviceKey, str] = field(default_factory=dict)  # (app, device) -> braze_id holding its push token
    device_states: dict[str, DeviceState] = field(default_factory=dict)
    device_records: dict[DeviceKey, DeviceRecord] = field(default_factory=dict)

    def new_profile(self, *, external_id: str | None = None, now: float | None = None) -> Profile:
        braze_id = new_braze_id()
        while braze_id in self.profiles:
            braze_id = new_braze_id()
        profile = Profile(braze_id=braze_id, workspace=self.name, external_id=external_id, created_at=now or time.time())
        self.profiles[braze_id] = profile
        if external_id is not None:
            self.by_external_id[external_id] = braze_id
        return profile

    def profile(self, braze_id: str | None) -> Profile | None:
        return self.profiles.get(braze_id) if braze_id else None

    def by_external(self, external_id: str) -> Profile | None:
        braze_id = self.by_external_id.get(external_id) or self.deprecated_external_ids.get(external_id)
        return self.profile(braze_id)

    def device_state(self, device_id: str) -> DeviceState:
        state = self.device_states.get(device_id)
        if state is None:
            state = self.device_states[device_id] = DeviceState(device_id)
        return state

    def record_device(
        self,
        app: str,
        device_id: str,
        device: dict[str, Any] | None,
        sdk_version: str | None,
        app_version: str | None,
        now: float,
    ) -> DeviceRecord:
        record = self.device_records.get((app, device_id))
        if record is None:
            record = self.device_records[(app, device_id)] = DeviceRecord(app, device_id, first_seen=now, last_seen=now)
        if now > record.last_seen:
            record.last_seen = now
        if device:
            record.device.update(device)  # a diff: merge keys
        record.sdk_version = sdk_version or record.sdk_version
        record.app_version = app_version or record.app_version
        return record

    def index_errors(self) -> list[str]:
        """Where an index disagrees with the profiles (a self-check for tests and debugging)."""
        expected_ext = {p.external_id: b for b, p in self.profiles.items() if p.external_id is not None}
        expected_alias = {(label, name): b for b, p in self.profiles.items() for label, name in p.aliases.items()}
        expected_sessions = {s: b for b, p in self.profiles.items() for s in p.sessions}
        expected_tokens = {k: b for b, p in self.profiles.items() for k in p.push_tokens}
        errors = [
            f"{self.name}: {name} index is {actual} but the profiles say {expected}"
            for name, actual, expected in (
                ("external_id", self.by_external_id, expected_ext),
                ("alias", self.by_alias, expected_alias),
                ("session", self.session_owner, expected_sessions),
                ("push token", self.token_holder, expected_tokens),
            )
            if actual != expected
        ]
        for state in self.device_states.values():
            for braze_id in (state.anonymous, state.claimed_by, *(b for b, _ in state.current.values())):
                if braze_id is not None and braze_id not in self.profiles:
                    errors.append(f"{self.name}: device {state.device_id} points at missing profile {braze_id}")
        return errors

    def delete_profile(self, braze_id: str) -> None:
        profile = self.profiles.pop(braze_id, None)
        if profile is None:
            return
        if profile.external_id is not None and self.by_external_id.get(profile.external_id) == braze_id:
            del self.by_external_id[profile.external_id]
        for label, name in profile.aliases.items():
            if self.by_alias.get((label, name)) == braze_id:
                del self.by_alias[(label, name)]
        for old in [k for k, v in self.deprecated_external_ids.items() if v == braze_id]:
            del self.deprecated_external_ids[old]
        for session_id in profile.sessions:
            if self.session_owner.get(session_id) == braze_id:
                del self.session_owner[session_id]
        for key in profile.push_tokens:
            if self.token_holder.get(key) == braze_id:
                del self.token_holder[key]


class Registry:
    """All workspaces and apps. Not locked: the EmulatorState facade holds the one lock."""

    def __init__(self) -> None:
        self.workspaces: dict[str, Workspace] = {}
        self.apps: dict[str, App] = {}

    def workspace(self, name: str, scope: str | None) -> Workspace:
        ws = self.workspaces.get(name)
        if ws is None:
            ws = self.workspaces[name] = Workspace(name=name, scope=scope)
        elif ws.scope != scope:
            # a workspace belongs to at most one scope, or reset(scope) could delete another scope's data
            raise ValueError(f"workspace {name!r} belongs to scope {ws.scope!r}, not {scope!r}")
        return ws

    def add_app(self, app: App) -> App:
        known = self.apps.get(app.api_key)
        if known is not None and known.workspace != app.workspace:
            raise ValueError(f"api key {app.api_key!r} already belongs to workspace {known.workspace!r}")
        ws = self.workspace(app.workspace, app.scope)
        self.apps[app.api_key] = app
        ws.apps[app.api_key] = app
        return app

    def workspace_of(self, app: App) -> Workspace:
        return self.workspaces[app.workspace]

    def forget_devices(self, device_ids: set[str]) -> int:
        """Drop every profile seen only on these devices, and what the workspaces remember of the devices.

        For a test sharing an api key with others: its users are the ones on its claimed devices."""
        removed = 0
        for ws in self.workspaces.values():
            for braze_id, profile in list(ws.profiles.items()):
                seen = {device for _app, device in profile.devices}
                if not seen or not seen <= device_ids:
                    continue
                del ws.profiles[braze_id]
                removed += 1
                for index in (ws.by_external_id, ws.deprecated_external_ids, ws.by_alias, ws.session_owner, ws.token_holder):
                    for key in [k for k, v in index.items() if v == braze_id]:
                        del index[key]
            for device in device_ids:
                ws.device_states.pop(device, None)
            for key in [k for k in ws.device_records if k[1] in device_ids]:
                del ws.device_records[key]
        return removed

    def reset(self, scope: str | None) -> None:
        if scope is None:
            self.workspaces.clear()
            self.apps.clear()
            return
        for name in [n for n, ws in self.workspaces.items() if ws.scope == scope]:
            ws = self.workspaces.pop(name)
            for api_key in ws.apps:
                self.apps.pop(api_key, None)
