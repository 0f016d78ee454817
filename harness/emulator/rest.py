"""The REST API subset (Braze's shapes, `Authorization: Bearer <key>`), answered by the control app.

The emulator has no separate REST keys: the key is the api key of any app of the workspace to act on
(`braze.api_key` in a test), and the call acts on that workspace. Routes: `POST /users/track`,
`POST /users/export/ids` (here) and `POST /messages/send` (harness/emulator/push/routes.py).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.emulator.state.rest_users import RestInputError
from harness.emulator.state.workspaces import App

REST_PATHS = ("/messages/send", "/users/track", "/users/export/ids")


class RestJSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str)


def rest_app(emu: Any, request: Request) -> App | RestJSON:
    """The app whose api key is the bearer token, or the 401 answer Braze gives."""
    auth = request.headers.get("authorization", "")
    key = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    app = next((a for a in emu.state.apps() if a.api_key == key), None) if key else None
    if app is not None:
        return app
    why = "unknown key (use an app api key of the workspace)" if key else "Authorization: Bearer <key> is missing"
    return RestJSON({"message": "Unauthorized", "errors": [why]}, status_code=401)


async def rest_body(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise RestInputError("Bad Request", f"the body is not JSON: {exc}") from None


def users_routes(emu: Any) -> list[Route]:
    async def call(request: Request, action: Any, status: int) -> RestJSON:
        app = rest_app(emu, request)
        if isinstance(app, RestJSON):
            return app
        try:
            return RestJSON(action(app, await rest_body(request)), status_code=status)
        except RestInputError as exc:
            return RestJSON({"message": exc.braze_message, "errors": [str(exc)]}, status_code=400)

    def track_and_enter(app: App, body: Any) -> dict[str, Any]:
        out = emu.state.rest_track(app, body)
        refused = {e["index"] for e in out.get("errors", []) if e["input_array"] == "events"}
        applied = [e for i, e in enumerate(body.get("events") or []) if i not in refused]
        emu.messaging.observe_rest_events(app.scope, app.api_key, applied)  # canvases entered by API events
        return out

    async def track(request: Request) -> RestJSON:
        return await call(request, track_and_enter, 201)  # 201: received (braze-behaviour.md §5.4)

    async def export_ids(request: Request) -> RestJSON:
        return await call(request, emu.state.rest_export_ids, 200)

    return [
        Route("/users/track", track, methods=["POST"]),
        Route("/users/export/ids", export_ids, methods=["POST"]),
    ]
