"""The Braze REST paths the emulator answers (a backend's calls, `Authorization: Bearer <key>`), told apart from
SDK traffic by path: they enter the same pipeline and journal, decoded as REST, not as SDK requests."""

from __future__ import annotations

# the user-identity endpoints (harness/emulator/state/rest_identity.py)
IDENTITY_PATHS = frozenset(
    {
        "/users/identify",
        "/users/alias/new",
        "/users/alias/update",
        "/users/merge",
        "/users/external_ids/rename",
        "/users/external_ids/remove",
        "/users/delete",
    }
)
REST_PATHS = frozenset({"/users/track", "/users/export/ids", "/messages/send"}) | IDENTITY_PATHS


def is_rest_path(path: str) -> bool:
    return path in REST_PATHS or path.rstrip("/") in REST_PATHS
