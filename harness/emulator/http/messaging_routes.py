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

from typing import Any

from braze_harness.emulator.app import Emulator
from braze_harness.emulator.http.common import JSON, BadRequest, NoQuery, Strict, error, route, validation_message
from braze_harness.emulator.messaging.models import DefinitionError
from braze_harness.emulator.messaging.rate_limit import CardRateLimit
from pydantic import Field, StrictBool, ValidationError, model_validator
from starlette.requests import Request
from starlette.routing import Route

MAX_ADVANCE_S = 10 * 365 * 86400.0  # ten years: past that a clock is a mistake (and datetimes overflow)


class SeedBody(Strict):
    # each definition is validated by the messaging models (a mistake names its index and field)
    segments: list[dict[str, Any]] = Field(default_factory=list)
    campaigns: list[dict[str, Any]] = Field(default_factory=list)
    canvases: list[dict[str, Any]] = Field(default_factory=list)


class ClockBody(Strict):
    advance: float = Field(ge=0, le=MAX_ADVANCE_S, allow_inf_nan=False, description="seconds to move the clock on")


class OptionsBody(Strict):
    content_cards_rate_limit: StrictBool | CardRateLimit | None = Field(
        description="true, false, {capacity, refill_seconds}, or null: the emulator's setting"
    )

    @model_validator(mode="before")
    @classmethod
    def _one_line(cls, data: Any) -> Any:
        # `{}` is a mistake, not a reset (null resets); a bad limit is named by its own field, not the union's member
        if isinstance(data, dict) and "content_cards_rate_limit" not in data:
            raise ValueError("options: give `content_cards_rate_limit` (true, false, {capacity, refill_seconds}, or null)")
        raw = data.get("content_cards_rate_limit") if isinstance(data, dict) else None
        if isinstance(raw, dict):
            try:
                CardRateLimit.model_validate(raw)
            except ValidationError as exc:
                raise ValueError(validation_message(exc, "content_cards_rate_limit.")[0]) from None
        return data


class CampaignQuery(Strict):
    campaign: str | None = None


def messaging_routes(emu: Emulator) -> list[Route]:
    messaging = emu.messaging

    async def seed(request: Request, body: SeedBody, _: NoQuery) -> JSON:
        try:
            seeded = messaging.seed(
                request.path_params["scope"], segments=body.segments, campaigns=body.campaigns, canvases=body.canvases
            )
        except DefinitionError as exc:
            raise BadRequest(str(exc)) from None
        return JSON(seeded, status_code=201)

    async def describe(request: Request, *_: Any) -> JSON:
        return JSON(messaging.describe(request.path_params["scope"]))

    async def remove(request: Request, *_: Any) -> JSON:
        campaign = request.path_params["campaign"]
        if not messaging.remove(request.path_params["scope"], campaign):
            return error(404, f"no campaign {campaign!r}", field="campaign")
        return JSON({"removed": campaign})

    async def members(request: Request, *_: Any) -> JSON:
        try:
            found = messaging.members(request.path_params["scope"], request.path_params["segment"])
        except DefinitionError as exc:
            return error(404, str(exc), field="segment")
        return JSON({"members": found})

    async def metrics(request: Request, _: None, query: CampaignQuery) -> JSON:
        try:
            return JSON(messaging.metrics(request.path_params["scope"], query.campaign))
        except DefinitionError as exc:
            return error(404, str(exc), field="campaign")

    async def progress(request: Request, *_: Any) -> JSON:
        try:
            return JSON(messaging.canvas_progress(request.path_params["scope"], request.path_params["canvas"]))
        except DefinitionError as exc:
            return error(404, str(exc), field="canvas")

    async def clock(request: Request, body: ClockBody | None, _: NoQuery) -> JSON:
        scope = request.path_params["scope"]
        offset = messaging.advance(scope, body.advance if body is not None else 0.0)
        return JSON({"clock_offset": offset, "now": messaging.now(scope)})

    async def options(request: Request, body: OptionsBody, _: NoQuery) -> JSON:
        raw = body.content_cards_rate_limit
        active = messaging.set_card_rate_limit(request.path_params["scope"], raw)
        return JSON({"content_cards_rate_limit": active.model_dump() if active else None})

    base = "/_emulator/scopes/{scope}"
    return [
        route(f"{base}/messaging", "POST", seed, body=SeedBody, status=201,
              summary="seed segments, campaigns and canvases (all validated first)"),
        route(f"{base}/messaging", "GET", describe, summary="what is seeded"),
        route(f"{base}/campaigns/{{campaign}}", "DELETE", remove, summary="remove a campaign or canvas"),
        route(f"{base}/segments/{{segment}}/members", "GET", members, summary="a segment's members", response='{"members"}'),
        route(f"{base}/metrics", "GET", metrics, query=CampaignQuery, summary="metrics per campaign by engagement code"),
        route(f"{base}/canvases/{{canvas}}/progress", "GET", progress, summary="every user's progress through a canvas"),
        route(f"{base}/clock", "GET", clock, summary="the scope's clock", response='{"clock_offset", "now"}'),
        route(f"{base}/clock", "POST", clock, body=ClockBody, summary="move the scope's clock on",
              response='{"clock_offset", "now"}'),
        route(f"{base}/messaging/options", "PUT", options, body=OptionsBody, summary="messaging options of the scope"),
        route(f"{base}/messaging/options", "POST", options, body=OptionsBody, summary="messaging options (as PUT)"),
    ]  # fmt: skip
