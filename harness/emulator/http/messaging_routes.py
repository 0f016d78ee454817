"""Control-API routes of messaging, mounted by `control.py` under `/_emulator/scopes/{scope}/...`.

| route | |
|---|---|
| `POST   .../messaging` `{"segments", "campaigns", "canvases"}` (lists) | seed (all validated first; 400 names the field) |
| `GET    .../messaging` | what is seeded (+ each IAM's `trigger_id`, the `/template/` renders and aborts) |
| `DELETE .../campaigns/{id}` | remove a campaign or canvas (its card is removed from inboxes on the next sync) |
| `GET    .../canvases/{id}/progress` | every user's progress through the canvas |
| `POST   .../clock` `{"advance": s}` / `GET .../clock` | move this scope's clock on (canvas delays, card rate limit) |
| `PUT    .../messaging/options` `{"content_cards_rate_limit": true/false/null/{"capacity", "refill_seconds"}}` | options |
| `GET    .../segments/{id}/members` | `{"members": [{"braze_id", "external_id"}]}` |
| `GET    .../metrics[?campaign=id]` | totals / uniques / by_user per campaign by engagement code |
"""

from __future__ import annotations

import orjson
from pydantic import ValidationError
from starlette.requests import Request
from starlette.routing import Route

from harness.emulator.app import Emulator
from harness.emulator.http.common import JSON
from harness.emulator.messaging.models import DefinitionError
from harness.emulator.messaging.rate_limit import CardRateLimit


def messaging_routes(emu: Emulator) -> list[Route]:
    messaging = emu.messaging

    async def seed(request: Request) -> JSON:
        try:
            body = orjson.loads(await request.body() or b"{}")
        except orjson.JSONDecodeError as exc:
            return JSON({"error": f"request body is not JSON: {exc}"}, status_code=400)
        if not isinstance(body, dict) or set(body) - {"segments", "campaigns", "canvases"}:
            return JSON(
                {"error": "body must be an object with `segments`, `campaigns` and/or `canvases` (lists)"}, status_code=400
            )
        segments, campaigns, canvases = body.get("segments", []), body.get("campaigns", []), body.get("canvases", [])
        if not all(isinstance(x, list) for x in (segments, campaigns, canvases)):
            return JSON({"error": "`segments`, `campaigns` and `canvases` must be lists"}, status_code=400)
        try:
            seeded = messaging.seed(request.path_params["scope"], segments=segments, campaigns=campaigns, canvases=canvases)
        except DefinitionError as exc:
            return JSON({"error": str(exc)}, status_code=400)
        return JSON(seeded, status_code=201)

    async def describe(request: Request) -> JSON:
        return JSON(messaging.describe(request.path_params["scope"]))

    async def remove(request: Request) -> JSON:
        removed = messaging.remove(request.path_params["scope"], request.path_params["campaign"])
        if not removed:
            return JSON({"error": f"no campaign {request.path_params['campaign']!r}"}, status_code=404)
        return JSON({"removed": request.path_params["campaign"]})

    async def members(request: Request) -> JSON:
        try:
            found = messaging.members(request.path_params["scope"], request.path_params["segment"])
        except DefinitionError as exc:
            return JSON({"error": str(exc)}, status_code=404)
        return JSON({"members": found})

    async def metrics(request: Request) -> JSON:
        try:
            return JSON(messaging.metrics(request.path_params["scope"], request.query_params.get("campaign")))
        except DefinitionError as exc:
            return JSON({"error": str(exc)}, status_code=404)

    async def progress(request: Request) -> JSON:
        try:
            return JSON(messaging.canvas_progress(request.path_params["scope"], request.path_params["canvas"]))
        except DefinitionError as exc:
            return JSON({"error": str(exc)}, status_code=404)

    async def clock(request: Request) -> JSON:
        scope = request.path_params["scope"]
        advance = 0.0
        if request.method == "POST":
            try:
                body = orjson.loads(await request.body() or b"{}")
            except orjson.JSONDecodeError as exc:
                return JSON({"error": f"request body is not JSON: {exc}"}, status_code=400)
            value = body.get("advance") if isinstance(body, dict) else None
            if not isinstance(body, dict) or set(body) != {"advance"} or isinstance(value, bool):
                return JSON({"error": 'body must be {"advance": seconds}'}, status_code=400)
            if not isinstance(value, (int, float)) or value < 0:
                return JSON({"error": "advance: must be a number of seconds >= 0"}, status_code=400)
            advance = float(value)
        offset = messaging.advance(scope, advance)
        return JSON({"clock_offset": offset, "now": messaging.now(scope)})

    async def options(request: Request) -> JSON:
        try:
            body = orjson.loads(await request.body() or b"{}")
        except orjson.JSONDecodeError as exc:
            return JSON({"error": f"request body is not JSON: {exc}"}, status_code=400)
        if not isinstance(body, dict) or set(body) != {"content_cards_rate_limit"}:
            # `{}` is a mistake, not a reset: null resets to the emulator's setting
            message = "options: give `content_cards_rate_limit` (true, false, {capacity, refill_seconds}, or null: the default)"
            return JSON({"error": message}, status_code=400)
        raw = body.get("content_cards_rate_limit")
        try:
            limit = raw if raw is None or isinstance(raw, bool) else CardRateLimit.model_validate(raw)
        except ValidationError as exc:
            errors = "; ".join(f"content_cards_rate_limit.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            return JSON({"error": errors}, status_code=400)
        active = messaging.set_card_rate_limit(request.path_params["scope"], limit)
        return JSON({"content_cards_rate_limit": active.model_dump() if active else None})

    base = "/_emulator/scopes/{scope}"
    return [
        Route(f"{base}/messaging", seed, methods=["POST"]),
        Route(f"{base}/messaging", describe, methods=["GET"]),
        Route(f"{base}/campaigns/{{campaign}}", remove, methods=["DELETE"]),
        Route(f"{base}/segments/{{segment}}/members", members, methods=["GET"]),
        Route(f"{base}/metrics", metrics, methods=["GET"]),
        Route(f"{base}/canvases/{{canvas}}/progress", progress, methods=["GET"]),
        Route(f"{base}/clock", clock, methods=["GET", "POST"]),
        Route(f"{base}/messaging/options", options, methods=["PUT", "POST"]),
    ]
