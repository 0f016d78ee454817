"""`GET /_emulator/scopes/{scope}/messaging/why`: why in-app messages, Content Cards, feature flags and banners were
or weren't served to this scope's users, request by request (harness/emulator/messaging/why.py).

Query: `campaign`, `user_id`, `device_id`, `channel` (in_app | content_card | feature_flag | banner), all optional.
Answer: `{"decisions": [{"seq", "channel", "campaign", "served", "reasons", "user_id", "device_id", "summary"}],
"verdicts": {campaign: "in_app 'welcome' was not in the triggers served at request #34 to user 'ada': ..."}}`.
"""

from __future__ import annotations

from typing import Literal

from braze_harness.emulator.app import Emulator
from braze_harness.emulator.http.common import JSON, Strict, route
from braze_harness.journal import Query
from starlette.requests import Request
from starlette.routing import Route


class WhyQuery(Strict):
    campaign: str | None = None
    user_id: str | None = None
    device_id: str | None = None
    channel: Literal["in_app", "content_card", "feature_flag", "banner"] | None = None


def why_routes(emu: Emulator) -> list[Route]:
    async def why(request: Request, _: None, query: WhyQuery) -> JSON:
        scope = request.path_params["scope"]
        entries = emu.journal.query(Query(scope=scope))  # the trigger filter's verdict reads what was logged since
        return JSON(emu.messaging.why(scope, entries=entries, **query.model_dump(exclude_none=True)))

    return [
        route("/_emulator/scopes/{scope}/messaging/why", "GET", why, query=WhyQuery,
              summary="why each campaign was or wasn't served, per request", response='{"decisions", "verdicts"}'),
    ]  # fmt: skip


__all__ = ["why_routes"]
