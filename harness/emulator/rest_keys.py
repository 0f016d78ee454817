"""REST API keys, as Braze's dashboard makes them: one workspace's, each with a set of permissions named like the
endpoints (`users.track`, `users.export.ids`, ...; https://www.braze.com/docs/api/basics/#rest-api-key-permissions).
A backend's call names its key as `Authorization: Bearer`; an app's SDK api key is not a REST key and is refused,
as Braze refuses it (docs/rest-api.md, keys)."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass

from braze_harness.protocol.rest import REST_PATHS

# the permission each REST path needs: the path's words joined by dots
PERMISSION_OF: dict[str, str] = {path: path.strip("/").replace("/", ".") for path in REST_PATHS}
PERMISSIONS: frozenset[str] = frozenset(PERMISSION_OF.values())


@dataclass(frozen=True)
class RestKey:
    key: str
    workspace: str  # qualified by its scope (`scope/name`), as the state names it
    scope: str
    permissions: frozenset[str]
    name: str | None = None

    def allows(self, path: str) -> bool:
        return PERMISSION_OF.get(path.rstrip("/")) in self.permissions

    def to_json(self) -> dict[str, object]:
        workspace = self.workspace.removeprefix(f"{self.scope}/")
        return {"rest_api_key": self.key, "workspace": workspace, "scope": self.scope, "name": self.name,
                "permissions": sorted(self.permissions)}  # fmt: skip


class RestKeys:
    def __init__(self) -> None:
        self._keys: dict[str, RestKey] = {}
        self._lock = threading.Lock()

    def create(self, scope: str, workspace: str, permissions: list[str] | None = None, name: str | None = None) -> RestKey:
        """A new key; `permissions` None: every permission the emulator knows."""
        granted = PERMISSIONS if permissions is None else frozenset(permissions)
        unknown = sorted(granted - PERMISSIONS)
        if unknown:
            raise ValueError(f"permissions: unknown {unknown[0]!r}; known: {', '.join(sorted(PERMISSIONS))}")
        key = RestKey(f"rest-{secrets.token_hex(12)}", workspace, scope, granted, name)
        with self._lock:
            self._keys[key.key] = key
        return key

    def get(self, key: str) -> RestKey | None:
        return self._keys.get(key)

    def of_scope(self, scope: str) -> list[RestKey]:
        with self._lock:
            return [k for k in self._keys.values() if k.scope == scope]

    def drop(self, scope: str) -> None:
        with self._lock:
            for key in [k for k, v in self._keys.items() if v.scope == scope]:
                del self._keys[key]
