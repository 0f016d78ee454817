"""Control-API routes of push sending, mounted by `control.py` (per scope, like the messaging routes):

* `POST .../push/send`: `{"external_ids"?, "segment_id"?, "broadcast"?, "campaign_id"?, "workspace"?,
  "message": {title, body, uri, extra, image_url, custom_id, ...}}` (or REST-shaped `"messages"`) -> the send
  result (dispatch id, deliveries with their payloads, skipped recipients with the reason);
* `GET .../push/outbox/{device_id}[?drain=1]`: `{"deliveries": [...]}` waiting for the device (drain: taken out);
* `GET .../push/dispatches/{dispatch_id}`: one send's result;

(`...` = `/_emulator/scopes/{scope}`.) The REST `/messages/send` goes through the pipeline (`harness/emulator/rest.py`).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.routing import Route

from harness.emulator.app import Emulator
from harness.emulator.http.common import JSON
from harness.emulator.push.send_body import CONTROL_FIELDS, send_request
from harness.emulator.push.service import PushSendError


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        value = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError as exc:
        raise PushSendError(f"request body is not JSON: {exc}", "body") from None
    if not isinstance(value, dict):
        raise PushSendError("request body must be a JSON object", "body")
    return value


def push_routes(emu: Emulator) -> list[Route]:
    service = emu.push

    async def send(request: Request) -> JSON:
        scope = request.path_params["scope"]
        try:
            body = await _body(request)
            unknown = set(body) - CONTROL_FIELDS
            if unknown:
                raise PushSendError(
                    f"unknown field(s) {sorted(unknown)}; allowed: {', '.join(sorted(CONTROL_FIELDS))}", sorted(unknown)[0]
                )
            workspace = body.get("workspace")
            if workspace is not None and not (isinstance(workspace, str) and workspace):
                raise PushSendError("workspace must be a non-empty string", "workspace")
            request_ = send_request(body, ids_key="external_ids")
            result = emu.messaging.send_push(
                scope,
                request_.messages,
                external_ids=request_.external_ids,
                segment_id=request_.segment_id,
                broadcast=request_.broadcast,
                campaign_id=request_.campaign_id,
                workspace=f"{scope}/{workspace}" if workspace else None,
                recipient_subscription_state=request_.recipient_subscription_state,
            )
        except PushSendError as exc:
            return JSON({"error": str(exc), "field": exc.field}, status_code=400)
        return JSON(result.to_json(), status_code=201)

    async def outbox(request: Request) -> JSON:
        drain = request.query_params.get("drain", "0") not in ("0", "false", "")
        found = service.outbox(request.path_params["scope"], request.path_params["device_id"], drain=drain)
        return JSON({"deliveries": [d.to_json() for d in found]})

    async def dispatch(request: Request) -> JSON:
        found = service.dispatch(request.path_params["scope"], request.path_params["dispatch_id"])
        if found is None:
            return JSON({"error": f"no dispatch {request.path_params['dispatch_id']!r}"}, status_code=404)
        return JSON(found.to_json())

    base = "/_emulator/scopes/{scope}/push"
    return [
        Route(f"{base}/send", send, methods=["POST"]),
        Route(f"{base}/outbox/{{device_id}}", outbox, methods=["GET"]),
        Route(f"{base}/dispatches/{{dispatch_id}}", dispatch, methods=["GET"]),
    ]
