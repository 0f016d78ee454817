"""`EmulatorState`: the one thread-safe entry point to workspaces, apps and profiles."""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
from typing import Any, Literal

from braze_harness.emulator.state import csv_rows, rest_identity, rest_users
from braze_harness.emulator.state.apply import SdkRules
from braze_harness.emulator.state.profiles import Profile, profile_view
from braze_harness.emulator.state.workspaces import App, Registry
from braze_harness.protocol.csv_users import Kind, Row, RowIssue
from braze_harness.protocol.decode import DecodedRequest, Endpoint, Problem
from braze_harness.protocol.platform import platform_signal

DEFAULT_WORKSPACE = "default"


def platform_of(decoded: DecodedRequest) -> str | None:
    """The platform `decoded` shows, None if nothing in it decides (braze_harness.protocol.platform)."""
    body = decoded.body
    return platform_signal(decoded.headers, body.device if body is not None else None, decoded.device_id)


class UnknownApiKey(Exception):
    """An SDK api key no app has, under the `reject` policy. The HTTP layer answers `invalid_api_key`."""

    def __init__(self, api_key: str) -> None:
        super().__init__(f"unknown api key {api_key!r}")
        self.api_key = api_key


def check_options(unknown_api_keys: str, array_cap: int) -> None:
    """The options every state store takes, checked the same way (in memory and on PostgreSQL)."""
    if unknown_api_keys not in ("auto_create", "reject"):
        raise ValueError(f"unknown_api_keys must be 'auto_create' or 'reject', not {unknown_api_keys!r}")
    if array_cap < 1:
        raise ValueError("array_cap must be at least 1")


class EmulatorState:
    def __init__(
        self,
        *,
        unknown_api_keys: Literal["auto_create", "reject"] = "auto_create",
        keep_anonymous_events_on_merge: bool = True,
        array_cap: int = 500,
    ) -> None:
        check_options(unknown_api_keys, array_cap)
        self.unknown_api_keys = unknown_api_keys
        # the docs disagree on whether anonymous raw history survives a merge (docs/server-behaviour.md, anonymous-history-on-
        # merge)
        self.keep_anonymous_events_on_merge = keep_anonymous_events_on_merge
        # 500 per the current docs; older pages say 25 (up to 100) (docs/server-behaviour.md, array-length)
        self.array_cap = array_cap
        self._rules = SdkRules(keep_anonymous_events_on_merge, array_cap)
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
            platform = None if sender is None else platform_of(sender)
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
        platform = platform_of(sender)
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
            problems = self._rules.apply(self._registry.workspace_of(app), app, decoded, received_at)
            self._version += 1
            return problems
