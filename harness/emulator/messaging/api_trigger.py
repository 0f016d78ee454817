"""API-triggered delivery: `POST /campaigns/trigger/send` and `POST /canvas/trigger/send`, as a backend calls them.

A send names a campaign seeded with `kind: "api_triggered"` (models.py) or a canvas whose entry is `api`
(canvas_models.py) and reaches its `recipients` (≤ 50, by `external_user_id`) or, with `broadcast: true`, the
campaign's segment (or everyone). Each recipient's `attributes` are written first (as Braze processes them before
the message); `send_to_existing_only` (default true) skips users who do not exist, `false` creates them.
`trigger_properties` (request-wide, overridden per recipient) render into the campaign's texts as
`{{api_trigger_properties.${name}}}`; `canvas_entry_properties` are kept on the user's canvas entry and render into
its push and card steps as `{{canvas_entry_properties.${name}}}`.

What the emulator does not do (a 400 naming the field, never a silent partial send): `user_alias` recipients and
connected `audience` filters. Recipients not reached (outside the segment, not re-eligible, a template error, no
such user) are listed with the reason in the dispatch (`GET /_emulator/scopes/{scope}/push/dispatches/{id}`).
https://www.braze.com/docs/api/endpoints/messaging/send_messages/post_send_triggered_campaigns/
https://www.braze.com/docs/api/endpoints/messaging/send_messages/post_send_triggered_canvases/
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from braze_harness.emulator.clock import ScopeClocks
from braze_harness.emulator.messaging.audience import Audience
from braze_harness.emulator.messaging.canvas_runner import CanvasRunner
from braze_harness.emulator.messaging.models import ApiTriggeredCampaign, Card, ContentCardCampaign
from braze_harness.emulator.messaging.payloads import card_json
from braze_harness.emulator.messaging.segments import evaluate
from braze_harness.emulator.messaging.store import API_CARD_SEP, MessagingStore, ScopeMessaging
from braze_harness.emulator.messaging.templating import Aborted, TemplateError, render_strings, template_data
from braze_harness.emulator.push.service import PushSendError, PushService, SendResult, parse_messages

MAX_RECIPIENTS = 50  # "The recipients array may contain up to 50 objects"
CAMPAIGN_FIELDS = frozenset({"campaign_id", "send_id", "trigger_properties", "broadcast", "audience", "recipients"})
CANVAS_FIELDS = frozenset({"canvas_id", "canvas_entry_properties", "broadcast", "audience", "recipients"})
RECIPIENT_FIELDS = frozenset(
    {"external_user_id", "user_alias", "trigger_properties", "canvas_entry_properties", "send_to_existing_only", "attributes"}
)

# writes `{"attributes": [...]}` as /users/track does, in the caller's workspace
AttributeWriter = Callable[[list[dict[str, Any]]], dict[str, Any]]


class TriggerError(ValueError):
    """A fatal mistake in a trigger send: `braze_message` is Braze's fatal message, `field` the request's key."""

    def __init__(self, braze_message: str, why: str, field: str) -> None:
        super().__init__(why)
        self.braze_message = braze_message
        self.field = field


@dataclass
class Recipient:
    external_id: str
    properties: dict[str, Any]
    existing_only: bool
    attributes: dict[str, Any] | None


@dataclass
class TriggerRequest:
    target_id: str  # campaign or canvas id
    properties: dict[str, Any]
    broadcast: bool
    recipients: list[Recipient] = field(default_factory=list)
    send_id: str | None = None


def parse_request(body: Any, *, canvas: bool) -> TriggerRequest:
    """Braze's request body, checked field by field (TriggerError names the first wrong one)."""
    if not isinstance(body, dict):
        raise TriggerError("Bad Request", "the body must be a JSON object", "body")
    id_key, props_key = ("canvas_id", "canvas_entry_properties") if canvas else ("campaign_id", "trigger_properties")
    unknown = sorted(set(body) - (CANVAS_FIELDS if canvas else CAMPAIGN_FIELDS))
    if unknown:
        raise TriggerError("Bad Request", f"unknown field(s) {unknown}", unknown[0])
    if body.get("audience") is not None:
        raise TriggerError("Bad Request", "connected audience filters are not supported by this emulator", "audience")
    target = body.get(id_key)
    if not isinstance(target, str) or not target:
        raise TriggerError("Bad Request", f"{id_key} is required (a string)", id_key)
    broadcast = body.get("broadcast", False)
    if not isinstance(broadcast, bool):
        raise TriggerError("Bad Request", "broadcast must be true or false", "broadcast")
    raw = body.get("recipients")
    if raw is not None and (not isinstance(raw, list)):
        raise TriggerError("Bad Request", "recipients must be an array", "recipients")
    if broadcast and raw:
        raise TriggerError("Bad Request", "with broadcast: true, recipients cannot be included", "recipients")
    if not broadcast and not raw:
        raise TriggerError("No Recipients", "give recipients, or broadcast: true to send to the whole segment", "recipients")
    if raw and len(raw) > MAX_RECIPIENTS:
        raise TriggerError(
            "The max number of external_ids and aliases per request was exceeded",
            f"{len(raw)} recipients, at most {MAX_RECIPIENTS}",
            "recipients",
        )
    send_id = body.get("send_id")
    if send_id is not None and (canvas or not isinstance(send_id, str)):
        raise TriggerError("Bad Request", "send_id must be a string", "send_id")
    return TriggerRequest(
        target_id=target,
        properties=_properties(body.get(props_key), props_key),
        broadcast=broadcast,
        recipients=[_recipient(r, i, props_key) for i, r in enumerate(raw or [])],
        send_id=send_id,
    )


def _properties(value: Any, where: str) -> dict[str, Any]:
    if value is None or value == "":  # Braze's own example sends "" for none
        return {}
    if not isinstance(value, dict):
        raise TriggerError("Bad Request", f"{where} must be an object", where)
    return value


def _recipient(raw: Any, i: int, props_key: str) -> Recipient:
    where = f"recipients[{i}]"
    if not isinstance(raw, dict):
        raise TriggerError("Bad Request", f"{where} must be an object", where)
    unknown = sorted(set(raw) - RECIPIENT_FIELDS)
    if unknown:
        raise TriggerError("Bad Request", f"{where}: unknown field(s) {unknown}", f"{where}.{unknown[0]}")
    if raw.get("user_alias") is not None:
        raise TriggerError("Bad Request", "user_alias recipients are not supported by this emulator", f"{where}.user_alias")
    ext = raw.get("external_user_id")
    if not isinstance(ext, str) or not ext:
        raise TriggerError("Bad Request", f"{where}.external_user_id is required (a string)", f"{where}.external_user_id")
    existing_only = raw.get("send_to_existing_only", True)
    if not isinstance(existing_only, bool):
        field_name = f"{where}.send_to_existing_only"
        raise TriggerError("Bad Request", f"{field_name} must be true or false", field_name)
    attributes = raw.get("attributes")
    if attributes is not None and not isinstance(attributes, dict):
        raise TriggerError("Bad Request", f"{where}.attributes must be an object", f"{where}.attributes")
    if not existing_only and attributes is None:
        why = f"{where}: send_to_existing_only false needs an attributes object"
        raise TriggerError("Bad Request", why, f"{where}.attributes")
    return Recipient(ext, _properties(raw.get(props_key), f"{where}.{props_key}"), existing_only, attributes)


class ApiTriggers:
    """The sends; callers hold the emulator's lock."""

    def __init__(
        self, store: MessagingStore, audience: Audience, push: PushService, clock: ScopeClocks, runner: CanvasRunner
    ) -> None:
        self.store = store
        self.audience = audience
        self.push = push
        self.clock = clock
        self.runner = runner

    def send_campaign(self, scope: str, workspace: str, body: Any, write: AttributeWriter) -> dict[str, Any]:
        request = parse_request(body, canvas=False)
        sm = self.store.get(scope)
        campaign = sm.campaigns.get(request.target_id) if sm is not None else None
        if sm is None or not isinstance(campaign, ApiTriggeredCampaign):
            why = f"no API-triggered campaign {request.target_id!r} in this workspace's scope"
            raise TriggerError("Invalid Campaign ID", why, "campaign_id")
        result = SendResult(dispatch_id=secrets.token_hex(12), campaign_id=campaign.id)
        now = self.clock.now(scope)
        for who, profile, props in self._reached(sm, scope, workspace, request, campaign.segment, write, result):
            last = sm.api_sent.get((campaign.id, who))
            if last is not None and (campaign.re_eligibility is None or now - last < campaign.re_eligibility):
                result.skipped.append(_skip(profile, f"not re-eligible (re_eligibility {campaign.re_eligibility})"))
                continue
            data = template_data(profile, {}, {}, now=now, blocks=sm.blocks(workspace))
            data["api_trigger_properties"] = {**request.properties, **props}
            try:
                card = render_strings(campaign.card.model_dump(), data, "card") if campaign.card else None
                push = render_strings(campaign.push, data, "push") if campaign.push else None
            except (TemplateError, Aborted) as exc:
                result.skipped.append(_skip(profile, f"not sent: {exc}"))
                continue
            sm.api_sent[(campaign.id, who)] = now
            if card is not None:
                card_id = f"{campaign.id}{API_CARD_SEP}{result.dispatch_id}"
                placed = card_json(ContentCardCampaign(id=card_id, card=card), now)
                sm.api_cards.setdefault(who, {})[card_id] = (placed, now)
                result.cards.append({"id": card_id, "external_id": profile["external_id"], "card": placed})
            if push is not None:
                self._push(scope, push, profile, campaign.id, result)
        self.push.record(scope, result)
        return _answer(result, request.send_id)

    def send_canvas(self, scope: str, workspace: str, body: Any, write: AttributeWriter) -> dict[str, Any]:
        request = parse_request(body, canvas=True)
        sm = self.store.get(scope)
        canvas = sm.canvases.get(request.target_id) if sm is not None else None
        if sm is None or canvas is None or canvas.entry.type != "api":
            why = f"no canvas {request.target_id!r} with an api entry in this workspace's scope"
            raise TriggerError("Invalid Canvas ID", why, "canvas_id")
        result = SendResult(dispatch_id=secrets.token_hex(12), campaign_id=canvas.id)
        for who, profile, props in self._reached(sm, scope, workspace, request, canvas.segment, write, result):
            why = self.runner.enter_api(sm, canvas, who, profile, {**request.properties, **props})
            if why is not None:
                result.skipped.append(_skip(profile, why))
            else:
                result.entered.append(profile["external_id"])
        self.push.record(scope, result)
        return _answer(result, None)

    def _reached(
        self,
        sm: ScopeMessaging,
        scope: str,
        workspace: str,
        request: TriggerRequest,
        segment: str | None,
        write: AttributeWriter,
        result: SendResult,
    ) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        """(user key, profile, per-recipient properties) of who the send reaches, attributes written first."""
        if request.broadcast:
            chosen = [(p, {}) for p in self._profiles(scope, workspace) if p["external_id"] is not None]
        else:
            existing = {p["external_id"] for p in self._profiles(scope, workspace)}
            writes = []
            for r in request.recipients:
                if r.attributes is not None and (r.external_id in existing or not r.existing_only):
                    writes.append({"external_id": r.external_id, **r.attributes})
            if writes:
                out = write(writes)
                for error in out.get("errors", []):
                    result.skipped.append({"reason": f"attributes not written: {error}"})
            by_id = {p["external_id"]: p for p in self._profiles(scope, workspace) if p["external_id"]}
            chosen = []
            for r in dict((r.external_id, r) for r in request.recipients).values():
                profile = by_id.get(r.external_id)
                if profile is None:
                    result.skipped.append({"external_id": r.external_id, "reason": "no such user (send_to_existing_only)"})
                else:
                    chosen.append((profile, r.properties))
        reached = []
        for profile, props in chosen:
            if segment is not None and not evaluate(sm.segments.get(segment), profile, sm.lookup):
                result.skipped.append(_skip(profile, f"not in the segment {segment!r}"))
                continue
            reached.append((f"user:{profile['external_id']}", profile, props))
        return reached

    def _profiles(self, scope: str, workspace: str) -> list[dict[str, Any]]:
        return [p for p in self.audience.profiles(scope=scope, workspace=workspace) if p["workspace"] == workspace]

    def _push(self, scope: str, push: dict[str, Any], profile: dict[str, Any], campaign_id: str, result: SendResult) -> None:
        try:
            messages = parse_messages(push, "push")
            sent = self.push.send(scope, messages, [profile], campaign_id=campaign_id, dispatch_id=result.dispatch_id)
        except PushSendError as exc:
            result.skipped.append(_skip(profile, f"push not sent: {exc}"))
            return
        result.deliveries.extend(sent.deliveries)
        result.skipped.extend(sent.skipped)


def _skip(profile: dict[str, Any], reason: str) -> dict[str, Any]:
    return {"external_id": profile.get("external_id"), "braze_id": profile.get("braze_id"), "reason": reason}


def _answer(result: SendResult, send_id: str | None) -> dict[str, Any]:
    """Braze's answer: one dispatch id for the whole batch (and the send id when one was given)."""
    return {"dispatch_id": result.dispatch_id, **({"send_id": send_id} if send_id else {}), "message": "success"}


# -- /messages/send with a content_card message object ---------------------------------------------------------

CARD_TYPES = {"CLASSIC": "classic", "CAPTIONED_IMAGE": "captioned_image", "BANNER": "image_only"}
CARD_FIELDS = frozenset(
    {"type", "title", "description", "message_variation_id", "pinned", "image_url", "time_to_live", "expire_at",
     "expire_in_local_time", "ios_uri", "android_uri", "web_uri", "ios_use_webview", "android_use_webview", "uri_text",
     "extra"}
)  # fmt: skip
CARD_MAX_TTL_S = 30 * 86400  # "a maximum expiration time exists of 30 days"


def parse_card(raw: Any, now: float, where: str = "messages.content_card") -> Card:
    """Braze's Content Card messaging object -> the card the SDK gets (TriggerError names the wrong field).
    https://www.braze.com/docs/api/objects_filters/messaging/content_cards_object/"""
    if not isinstance(raw, dict):
        raise TriggerError("Bad Request", f"{where} must be an object", where)
    unknown = sorted(set(raw) - CARD_FIELDS)
    if unknown:
        raise TriggerError("Bad Request", f"{where}: unknown field(s) {unknown}", f"{where}.{unknown[0]}")
    kind = CARD_TYPES.get(raw.get("type"))
    if kind is None:
        raise TriggerError("Bad Request", f"{where}.type must be one of {', '.join(CARD_TYPES)}", f"{where}.type")
    for key in ("title", "description"):
        if not isinstance(raw.get(key), str):
            raise TriggerError("Bad Request", f"{where}.{key} is required (a string)", f"{where}.{key}")
    if kind != "classic" and not isinstance(raw.get("image_url"), str):
        raise TriggerError("Bad Request", f"{where}.image_url is required for {raw['type']}", f"{where}.image_url")
    ttl, expire_at = raw.get("time_to_live"), raw.get("expire_at")
    if (ttl is None) == (expire_at is None):
        raise TriggerError("Bad Request", f"{where}: give time_to_live or expire_at (one of them)", f"{where}.time_to_live")
    if ttl is not None:
        if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
            raise TriggerError("Bad Request", f"{where}.time_to_live must be a positive integer", f"{where}.time_to_live")
        expires = now + ttl
    else:
        try:
            expires = dt.datetime.fromisoformat(str(expire_at).replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise TriggerError("Bad Request", f"{where}.expire_at is not an ISO 8601 time", f"{where}.expire_at") from None
    if expires - now > CARD_MAX_TTL_S:
        raise TriggerError("Bad Request", f"{where}: expires more than 30 days ahead (Braze's maximum)", f"{where}.expire_at")
    extra = raw.get("extra") or {}
    if not isinstance(extra, dict):
        raise TriggerError("Bad Request", f"{where}.extra must be an object", f"{where}.extra")
    return Card(
        type=kind,  # type: ignore[arg-type]
        title=raw["title"],
        description=raw["description"],
        image=raw.get("image_url"),
        url=raw.get("web_uri") or raw.get("android_uri") or raw.get("ios_uri"),
        link_text=raw.get("uri_text"),
        pinned=bool(raw.get("pinned", False)),
        extras={str(k): str(v) for k, v in extra.items()},
        expires_at=expires,
    )


def place_cards(
    store: MessagingStore,
    scope: str,
    card: Card,
    chosen: list[dict[str, Any]],
    campaign_id: str | None,
    result: SendResult,
    now: float,
) -> None:
    """Put one card per recipient profile in their inbox (id `<campaign or send>~<dispatch>`); cards of a
    `campaign_id` count in that campaign's metrics."""
    sm = store.of(scope)
    base = campaign_id or "messages.send"
    if campaign_id is not None:
        sm.api_campaigns.add(campaign_id)
    card_id = f"{base}{API_CARD_SEP}{result.dispatch_id}"
    placed = card_json(ContentCardCampaign(id=card_id, card=card), now)
    for profile in chosen:
        if profile["external_id"] is None:
            result.skipped.append(_skip(profile, "anonymous user: a card needs an external id"))
            continue
        sm.api_cards.setdefault(f"user:{profile['external_id']}", {})[card_id] = (placed, now)
        result.cards.append({"id": card_id, "external_id": profile["external_id"], "card": placed})
