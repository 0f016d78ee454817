"""Braze's default REST rate limits, per workspace, and the groups of endpoints that share one
(https://www.braze.com/docs/api/api_limits/; docs/rest-api.md). Every answer carries `X-RateLimit-Limit`,
`X-RateLimit-Remaining` and `X-RateLimit-Reset` (UTC epoch seconds); over the limit the answer is 429."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    limit: int  # requests
    window_s: float  # per this many seconds


# group -> (its default limit, the REST paths sharing it)
RATE_GROUPS: dict[str, tuple[RateLimit, frozenset[str]]] = {
    "users/track": (RateLimit(3000, 3), frozenset({"/users/track"})),
    # workspaces onboarded before August 22, 2024 have 2,500 per minute
    "users/export/ids": (RateLimit(250, 60), frozenset({"/users/export/ids"})),
    "users/identity": (
        RateLimit(20_000, 60),
        frozenset({"/users/delete", "/users/alias/new", "/users/alias/update", "/users/identify", "/users/merge"}),
    ),
    "users/external_ids/rename": (RateLimit(1000, 60), frozenset({"/users/external_ids/rename"})),
    "users/external_ids/remove": (RateLimit(1000, 60), frozenset({"/users/external_ids/remove"})),
    # 250 per minute for broadcasts (a segment or an audience only); 250,000 per hour otherwise
    "messages": (RateLimit(250_000, 3600), frozenset({"/messages/send", "/campaigns/trigger/send", "/canvas/trigger/send"})),
}
_GROUP_OF = {path: group for group, (_, paths) in RATE_GROUPS.items() for path in paths}


def rate_group(path: str) -> str | None:
    """The rate-limit group of a REST path (None: a path without a documented limit)."""
    return _GROUP_OF.get(path.rstrip("/") or "/")
