"""HTTP routes of push sending, mounted by `control.py`.

Control API (per scope, like the messaging routes):

* `POST .../push/send`: `{"external_ids"?, "segment_id"?, "broadcast"?, "campaign_id"?, "workspace"?,
  "message": {title, body, uri, extra, image_url, custom_id, ...}}` (or REST-shaped `"messages"`) -> the send
  result (dispatch id, deliveries with their payloads, skipped recipients with the reason);
* `GET .../push/outbox/{device_id}[?drain=1]`: `{"deliveries": [...]}` waiting for the device (drain: taken out);
* `GET .../push/dispatches/{dispatch_id}`: one send's result;

(`...` = `/_emulator/scopes/{scope}`.)

REST subset (Braze shape): `POST /messages/send` with `Authorization: Bearer <key>` (harness/emulator/rest.py: the key
is the api key of any app of the workspace to send in, `braze.api_key`; the send targets that workspace).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.emulator.push.service import PLATFORMS, PushSendError, PushService, parse_messages
from harness.emulator.rest import rest_app
from harness.emulator.state.workspaces import App
from harness.protocol.push import PushMessage

_MESSAGE_FIELDS = ("title", "body", "campaign_id", "uri", "use_webview", "extra", "image_url", "custom_id", "sound", "badge")
_SEND_FIELDS = {
    "external_ids",
    "segment_id",
    "broadcast",
    "campaign_id",
    "workspace",
    "recipient_subscription_state",
    "message",
    "messages",
    "platforms",
}
_REST_FIELDS = {
    "external_user_ids",
    "segment_id",
    "broadcast",
    "campaign_id",
    "messages",
    "recipient_subscription_state",
    "send_id",
    "override_frequency_capping",
    "user_aliases",
    "audience",
}


class _JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        value = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError as exc:
        raise PushSendError(f"request body is not JSON: {exc}", "body") from None
    if not isinstance(value, dict):
        raise PushSendError("request body must be a JSON object", "body")
    return value


def message_from(raw: Any, where: str = "message") -> PushMessage:
    """The control API's one-for-all-platforms message object."""
    if not isinstance(raw, dict):
        raise PushSendError(f"{where} must be an object with title/body/...", where)
    unknown = set(raw) - set(_MESSAGE_FIELDS)
    if unknown:
        raise PushSendError(f"{where}: unknown field(s) {sorted(unknown)}; known: {', '.join(_MESSAGE_FIELDS)}", where)
    extra = raw.get("extra", {})
    if not isinstance(extra, dict):
        raise PushSendError(f"{where}.extra must be an object", f"{where}.extra")
    return PushMessage(**{**raw, "extra": dict(extra)})


def push_routes(emu: Any) -> list[Route]:
    service: PushService = emu.push

    def run_send(scope: str | None, body: dict[str, Any], *, workspace: str | None, ids_key: str) -> dict[str, Any]:
        if "messages" in body:
            messages = parse_messages(body["messages"])
        elif "message" in body:
            message = message_from(body["message"])
            platforms = body.get("platforms", list(PLATFORMS))
            if not isinstance(platforms, list) or not platforms or not all(p in PLATFORMS for p in platforms):
                raise PushSendError(f"platforms must be a non-empty list of {', '.join(PLATFORMS)}", "platforms")
            messages = dict.fromkeys(platforms, message)
        else:
            raise PushSendError("No message to send: give `messages` (or `message` on the control API)", "messages")
        for key in ("campaign_id", "segment_id"):
            if body.get(key) is not None and not isinstance(body[key], str):
                raise PushSendError(f"{key} must be a string", key)
        if not isinstance(body.get("broadcast", False), bool):
            raise PushSendError("broadcast must be true or false", "broadcast")
        result = service.send(
            scope,
            messages,
            external_ids=body.get(ids_key),
            segment_id=body.get("segment_id"),
            broadcast=body.get("broadcast", False),
            campaign_id=body.get("campaign_id"),
            workspace=workspace,
            recipient_subscription_state=body.get("recipient_subscription_state", "subscribed"),
        )
        return result.to_json()

    async def send(request: Request) -> _JSON:
        scope = request.path_params["scope"]
        try:
            body = await _body(request)
            unknown = set(body) - _SEND_FIELDS
            if unknown:
                raise PushSendError(
                    f"unknown field(s) {sorted(unknown)}; allowed: {', '.join(sorted(_SEND_FIELDS))}", sorted(unknown)[0]
                )
            workspace = body.get("workspace")
            if workspace is not None and not (isinstance(workspace, str) and workspace):
                raise PushSendError("workspace must be a non-empty string", "workspace")
            result = run_send(scope, body, workspace=f"{scope}/{workspace}" if workspace else None, ids_key="external_ids")
        except PushSendError as exc:
            return _JSON({"error": str(exc), "field": exc.field}, status_code=400)
        return _JSON(result, status_code=201)

    async def outbox(request: Request) -> _JSON:
        drain = request.query_params.get("drain", "0") not in ("0", "false", "")
        found = service.outbox(request.path_params["scope"], request.path_params["device_id"], drain=drain)
        return _JSON({"deliveries": [d.to_json() for d in found]})

    async def dispatch(request: Request) -> _JSON:
        found = service.dispatch(request.path_params["scope"], request.path_params["dispatch_id"])
        if found is None:
            return _JSON({"error": f"no dispatch {request.path_params['dispatch_id']!r}"}, status_code=404)
        return _JSON(found.to_json())

    async def rest_send(request: Request) -> _JSON:
        app = rest_app(emu, request)
        if not isinstance(app, App):
            return app
        try:
            body = await _body(request)
            unknown = set(body) - _REST_FIELDS
            if unknown:
                raise PushSendError(f"unknown field(s) {sorted(unknown)}", sorted(unknown)[0])
            for unsupported in ("user_aliases", "audience"):
                if body.get(unsupported):
                    raise PushSendError(f"{unsupported} is not supported by this emulator", unsupported)
            # braze-behaviour.md §5.6: `broadcast` defaults to false and must be true for a whole segment
            if body.get("segment_id") is not None and not body.get("external_user_ids") and body.get("broadcast") is not True:
                raise PushSendError("a segment_id without external_user_ids is a broadcast: give broadcast: true", "broadcast")
            result = run_send(app.scope, body, workspace=app.workspace, ids_key="external_user_ids")
        except PushSendError as exc:
            return _JSON({"message": _fatal_message(exc), "errors": [f"{exc.field}: {exc}"], "field": exc.field}, status_code=400)
        return _JSON({"dispatch_id": result["dispatch_id"], "message": "success"}, status_code=201)

    base = "/_emulator/scopes/{scope}/push"
    return [
        Route(f"{base}/send", send, methods=["POST"]),
        Route(f"{base}/outbox/{{device_id}}", outbox, methods=["GET"]),
        Route(f"{base}/dispatches/{{dispatch_id}}", dispatch, methods=["GET"]),
        Route("/messages/send", rest_send, methods=["POST"]),
    ]


def _fatal_message(exc: PushSendError) -> str:
    """Braze's fatal message for the error (braze-behaviour.md §5.2)."""
    text = str(exc)
    for known in (
        "No Recipients",
        "No message to send",
        "Invalid Extra Push Payload",
        "The max number of external_ids and aliases per request was exceeded",
        "Apple Push Length Exceeded",
        "Android Push Length Exceeded",
    ):
        if known in text:
            return known
    if exc.field.endswith(".extra"):
        return "Invalid Extra Push Payload"
    return "Bad Request"
