"""The Braze REST paths the emulator answers (a backend's calls, `Authorization: Bearer <key>`), told apart from
SDK traffic by path: they enter the same pipeline and journal, decoded as REST, not as SDK requests."""

from __future__ import annotations

REST_PATHS = frozenset({"/users/track", "/users/export/ids", "/messages/send"})


def is_rest_path(path: str) -> bool:
    return path in REST_PATHS or path.rstrip("/") in REST_PATHS
