"""Control-API routes of push sending, mounted by `control.py` (per scope, like the messaging routes):

* `POST .../push/send`: `{"external_ids"?, "segment_id"?, "broadcast"?, "campaign_id"?, "workspace"?,
  "message": {title, body, uri, extra, image_url, custom_id, ...}}` (or REST-shaped `"messages"`) -> the send
  result (dispatch id, deliveries with their payloads, skipped recipients with the reason);
* `GET .../push/outbox/{device_id}[?drain=1]`: `{"deliveries": [...]}` waiting for the device (drain: taken out);
* `GET .../push/dispatches/{dispatch_id}`: one send's result;

(`...` = `/_emulator/scopes/{scope}`.) The REST `/messages/send` goes through the pipeline (`harness/emulator/rest.py`).
"""

from __future__ import annotations

from typing import Any, Literal

from braze_harness.emulator.app import Emulator
from braze_harness.emulator.http.common import JSON, BadRequest, NoQuery, Strict, error, route
from braze_harness.emulator.push.send_body import send_request
from braze_harness.emulator.push.service import PushSendError
from pydantic import Field, StrictBool
from starlette.requests import Request
from starlette.routing import Route

Platform = Literal["android", "ios", "web"]


class MessageBody(Strict):
    """One message for every platform (`braze_harness.protocol.push.PushMessage`)."""

    title: str | None = None
    body: str | None = None
    campaign_id: str | None = None
    uri: str | None = None
    use_webview: StrictBool = False
    extra: dict[str, Any] = Field(default_factory=dict)
    image_url: str | None = None
    custom_id: int | None = Field(None, ge=-(2**31), le=2**31 - 1)  # an Android notification id
    sound: str | None = None
    badge: int | None = Field(None, ge=0, le=2**31 - 1)


class SendBody(Strict):
    """The shape of a send; `braze_harness.emulator.push.send_body` reads the rest (REST-shaped `messages` included)."""

    external_ids: list[str] | None = Field(None, max_length=10_000)
    segment_id: str | None = None
    broadcast: StrictBool = False
    campaign_id: str | None = None
    workspace: str | None = Field(None, min_length=1)
    recipient_subscription_state: Literal["all", "subscribed", "opted_in"] = "subscribed"
    message: MessageBody | None = None
    messages: dict[str, Any] | None = Field(None, description="REST-shaped: apple_push, android_push, web_push")
    platforms: list[Platform] | None = Field(None, min_length=1)


class OutboxQuery(Strict):
    drain: bool = Field(False, description="take the deliveries out (1/true)")


def push_routes(emu: Emulator) -> list[Route]:
    service = emu.push

    async def send(request: Request, body: SendBody, _: NoQuery) -> JSON:
        scope = request.path_params["scope"]
        raw = body.model_dump(exclude_unset=True, exclude={"workspace"})
        try:
            request_ = send_request(raw, ids_key="external_ids")
            result = emu.messaging.send_push(
                scope,
                request_.messages,
                external_ids=request_.external_ids,
                segment_id=request_.segment_id,
                broadcast=request_.broadcast,
                campaign_id=request_.campaign_id,
                workspace=f"{scope}/{body.workspace}" if body.workspace else None,
                recipient_subscription_state=request_.recipient_subscription_state,
            )
        except PushSendError as exc:
            raise BadRequest(str(exc), exc.field) from None
        return JSON(result.to_json(), status_code=201)

    async def outbox(request: Request, _: None, query: OutboxQuery) -> JSON:
        found = service.outbox(request.path_params["scope"], request.path_params["device_id"], drain=query.drain)
        return JSON({"deliveries": [d.to_json() for d in found]})

    async def dispatch(request: Request, *_: Any) -> JSON:
        dispatch_id = request.path_params["dispatch_id"]
        found = service.dispatch(request.path_params["scope"], dispatch_id)
        if found is None:
            return error(404, f"no dispatch {dispatch_id!r}", field="dispatch_id")
        return JSON(found.to_json())

    base = "/_emulator/scopes/{scope}/push"
    return [
        route(f"{base}/send", "POST", send, body=SendBody, status=201, summary="send a push",
              response='{"dispatch_id", "campaign_id", "deliveries", "skipped"}'),
        route(f"{base}/outbox/{{device_id}}", "GET", outbox, query=OutboxQuery,
              summary="the deliveries waiting for a device", response='{"deliveries"}'),
        route(f"{base}/dispatches/{{dispatch_id}}", "GET", dispatch, summary="one send's result"),
    ]  # fmt: skip
