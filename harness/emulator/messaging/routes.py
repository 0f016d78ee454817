"""Control-API routes of messaging, mounted by `control.py` under `/_emulator/scopes/{scope}/...`.

| route | |
|---|---|
| `POST   .../messaging` `{"segments": [...], "campaigns": [...]}` | seed (all validated first; 400 names the field) |
| `GET    .../messaging` | what is seeded (+ each IAM's `trigger_id`, the `/template/` renders) |
| `DELETE .../campaigns/{id}` | remove a campaign (its card is removed from inboxes on the next sync) |
| `GET    .../segments/{id}/members` | `{"members": [{"braze_id", "external_id"}]}` |
| `GET    .../metrics[?campaign=id]` | totals / uniques / by_user per campaign by engagement code |
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.emulator.messaging.models import DefinitionError


class _JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str)


def messaging_routes(emu: Any) -> list[Route]:
    messaging = emu.messaging

    async def seed(request: Request) -> _JSON:
        try:
            body = orjson.loads(await request.body() or b"{}")
        except orjson.JSONDecodeError as exc:
            return _JSON({"error": f"request body is not JSON: {exc}"}, status_code=400)
        if not isinstance(body, dict) or set(body) - {"segments", "campaigns"}:
            return _JSON({"error": "body must be an object with `segments` and/or `campaigns` (lists)"}, status_code=400)
        segments, campaigns = body.get("segments", []), body.get("campaigns", [])
        if not isinstance(segments, list) or not isinstance(campaigns, list):
            return _JSON({"error": "`segments` and `campaigns` must be lists"}, status_code=400)
        try:
            seeded = messaging.seed(request.path_params["scope"], segments=segments, campaigns=campaigns)
        except DefinitionError as exc:
            return _JSON({"error": str(exc)}, status_code=400)
        return _JSON(seeded, status_code=201)

    async def describe(request: Request) -> _JSON:
        return _JSON(messaging.describe(request.path_params["scope"]))

    async def remove(request: Request) -> _JSON:
        removed = messaging.remove(request.path_params["scope"], request.path_params["campaign"])
        if not removed:
            return _JSON({"error": f"no campaign {request.path_params['campaign']!r}"}, status_code=404)
        return _JSON({"removed": request.path_params["campaign"]})

    async def members(request: Request) -> _JSON:
        try:
            found = messaging.members(request.path_params["scope"], request.path_params["segment"])
        except DefinitionError as exc:
            return _JSON({"error": str(exc)}, status_code=404)
        return _JSON({"members": found})

    async def metrics(request: Request) -> _JSON:
        try:
            return _JSON(messaging.metrics(request.path_params["scope"], request.query_params.get("campaign")))
        except DefinitionError as exc:
            return _JSON({"error": str(exc)}, status_code=404)

    base = "/_emulator/scopes/{scope}"
    return [
        Route(f"{base}/messaging", seed, methods=["POST"]),
        Route(f"{base}/messaging", describe, methods=["GET"]),
        Route(f"{base}/campaigns/{{campaign}}", remove, methods=["DELETE"]),
        Route(f"{base}/segments/{{segment}}/members", members, methods=["GET"]),
        Route(f"{base}/metrics", metrics, methods=["GET"]),
    ]
