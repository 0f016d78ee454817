"""Reading a push send from a request body: the control API's (`message` for all platforms, or REST-shaped
`messages`) and the REST `/messages/send` (Braze's shape), with Braze's fatal messages for a refusal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from braze_harness.emulator.push.service import PLATFORMS, PushSendError, parse_messages
from braze_harness.protocol.push import PushMessage

MESSAGE_FIELDS = ("title", "body", "campaign_id", "uri", "use_webview", "extra", "image_url", "custom_id", "sound", "badge")
CONTROL_FIELDS = frozenset(
    {
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
)
REST_FIELDS = frozenset(
    {
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
)


@dataclass(frozen=True, slots=True)
class SendRequest:
    messages: dict[str, PushMessage]
    external_ids: list[str] | None
    segment_id: str | None
    broadcast: bool
    campaign_id: str | None
    recipient_subscription_state: str


def message_from(raw: Any, where: str = "message") -> PushMessage:
    """The control API's one-for-all-platforms message object."""
    if not isinstance(raw, dict):
        raise PushSendError(f"{where} must be an object with title/body/...", where)
    unknown = set(raw) - set(MESSAGE_FIELDS)
    if unknown:
        raise PushSendError(f"{where}: unknown field(s) {sorted(unknown)}; known: {', '.join(MESSAGE_FIELDS)}", where)
    extra = raw.get("extra", {})
    if not isinstance(extra, dict):
        raise PushSendError(f"{where}.extra must be an object", f"{where}.extra")
    return PushMessage(**{**raw, "extra": dict(extra)})


def send_request(body: dict[str, Any], *, ids_key: str, push_optional: bool = False) -> SendRequest:
    """The send a body asks for (`ids_key`: `external_ids` on the control API, `external_user_ids` in REST;
    `push_optional`: the REST send also carries a content card, so `messages` may hold no push)."""
    if push_optional and body.get("messages") == {}:
        messages: dict[str, Any] = {}
    elif "messages" in body:
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
    return SendRequest(
        messages=messages,
        external_ids=body.get(ids_key),
        segment_id=body.get("segment_id"),
        broadcast=body.get("broadcast", False),
        campaign_id=body.get("campaign_id"),
        recipient_subscription_state=body.get("recipient_subscription_state", "subscribed"),
    )


def fatal_message(exc: PushSendError) -> str:
    """Braze's fatal message for the error (REST `/messages/send`)."""
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
