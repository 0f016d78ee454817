"""Who messaging reaches: a scope's profiles (as the control API shows them), the user a request speaks for, a
segment's members, a send's candidates. Reads only: nothing here changes state."""

from __future__ import annotations

from typing import Any

from braze_harness.emulator.messaging.models import DefinitionError
from braze_harness.emulator.messaging.segments import evaluate
from braze_harness.emulator.messaging.store import MessagingStore
from braze_harness.emulator.stores import StateStore, TenancyStore


class Audience:
    def __init__(self, state: StateStore, tenancy: TenancyStore, store: MessagingStore) -> None:
        self.state = state
        self.tenancy = tenancy
        self.store = store

    def profiles(self, *, scope: str | None = None, **selector: str | None) -> list[dict[str, Any]]:
        """Profile views matching `selector` (external_id, device_id, braze_id, workspace, api_key) in `scope`:
        its workspaces' profiles, plus those seen on devices it claimed (tests sharing one api key)."""
        state = self.state
        wanted = {k: v for k, v in selector.items() if v}
        if scope is None and not wanted:
            return [state.profile_json(p) for p in state.profiles()]
        found = {p.braze_id: p for p in state.profiles(scope=scope, **wanted)}
        if scope is not None:
            for device_id in self.tenancy.owned(scope)["device_ids"]:
                if wanted.get("device_id") not in (None, device_id):
                    continue
                for p in state.profiles(**{**wanted, "device_id": device_id}):
                    found.setdefault(p.braze_id, p)
        return [state.profile_json(p) for p in found.values()]

    def profile(self, api_key: str | None, device_id: str | None, user_id: str | None) -> dict[str, Any] | None:
        """The profile a request speaks for: the external id's in the key's workspace, or the device's anonymous one."""
        state = self.state
        if user_id:
            found = state.profiles(api_key=api_key, external_id=user_id)
        else:
            found = [p for p in state.profiles(api_key=api_key, device_id=device_id) if p.external_id is None]
        return state.profile_json(found[0]) if found else None

    def profile_of(self, scope: str, user: str) -> dict[str, Any] | None:
        """The profile of a user key (`user:<external id>` or `device:<device id>`) in `scope`."""
        kind, _, ident = user.partition(":")
        if kind == "user":
            found = self.profiles(scope=scope, external_id=ident)
        else:
            found = [p for p in self.profiles(scope=scope, device_id=ident) if p["external_id"] is None]
        return found[0] if found else None

    def members(self, scope: str, segment_id: str) -> list[dict[str, Any]]:
        """`{"braze_id", "external_id"}` of the scope's profiles in the segment, now."""
        sm = self.store.peek(scope)
        segment = sm.segments.get(segment_id)
        if segment is None:
            raise DefinitionError(f"no segment {segment_id!r} in scope {scope!r}")
        return [
            {"braze_id": p["braze_id"], "external_id": p["external_id"]}
            for p in self.profiles(scope=scope)
            if evaluate(segment, p, sm.lookup)
        ]
