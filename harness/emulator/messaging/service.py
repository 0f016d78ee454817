"""Per-scope messaging: what tests seeded, served to the SDK's requests, and engagement read back.

The Emulator calls `Messaging` from `_response_body` (under its lock, after the request was applied
to the profiles, so segments see what the same request changed). Engagement (si, sc, cci, ccd, ...)
is read from the scope's journal: one source of truth, and a dismissal is honoured as soon as the
`ccd` that reports it has arrived.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from harness.emulator.messaging.models import (
    CARD_TYPES,
    Banner,
    ContentCardCampaign,
    DefinitionError,
    FeatureFlag,
    InAppCampaign,
    Segment,
    parse_campaign,
    parse_segment,
)
from harness.emulator.messaging.segments import evaluate
from harness.emulator.messaging.templating import fetch_connected, render
from harness.journal import Query
from harness.protocol.decode import DecodedRequest, Endpoint
from harness.protocol.requests import (
    BannersSyncRequest,
    ContentCardsSyncRequest,
    DataRequest,
    TemplateRequest,
)

if TYPE_CHECKING:
    from harness.emulator.core import Emulator

AnyCampaign = InAppCampaign | ContentCardCampaign | FeatureFlag | Banner
ENGAGEMENT_CODES = ("si", "sc", "sbc", "iec", "cci", "ccc", "ccd", "ccic", "ffi", "bi", "bc", "bd")


def trigger_id(campaign_id: str) -> str:
    """Braze's shape: base64 id, then `_$_` and the campaign/variant tracking (echoed in si/sc/sbc/iec)."""
    encoded = base64.b64encode(campaign_id.encode()).decode()
    return f"{encoded}_$_cc={campaign_id}&mv={campaign_id}-v1&pi=cmp"


def tracking_string(campaign_id: str) -> str:
    return base64.b64encode(f"ff:{campaign_id}".encode()).decode()


@dataclass
class ScopeMessaging:
    segments: dict[str, Segment] = field(default_factory=dict)
    campaigns: dict[str, AnyCampaign] = field(default_factory=dict)
    updated_at: dict[str, float] = field(default_factory=dict)  # campaign id -> seeded/updated (unix s)
    inboxes: dict[str, dict[str, float]] = field(default_factory=dict)  # user key -> card id -> ca sent
    template_log: list[dict[str, Any]] = field(default_factory=list)  # what /template/ rendered
    last_update: int = 0

    def lookup(self, segment_id: str) -> Segment | None:
        return self.segments.get(segment_id)

    def campaign_of(self, code: str, ident: str) -> str | None:
        """Which campaign an engagement id (trigger id, card id, flag id, banner id) belongs to."""
        if code in ("si", "sc", "sbc", "iec"):
            for cid, c in self.campaigns.items():
                if isinstance(c, InAppCampaign) and trigger_id(cid) == ident:
                    return cid
            return None
        return ident if ident in self.campaigns else None


class Messaging:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self._scopes: dict[str, ScopeMessaging] = {}

    # -- seeding ----------------------------------------------------------------------------------

    def of(self, scope: str) -> ScopeMessaging:
        return self._scopes.setdefault(scope, ScopeMessaging())

    def seed(self, scope: str, *, segments: list[Any] = (), campaigns: list[Any] = ()) -> dict[str, list[str]]:
        """Validate everything first (nothing is stored if one definition is wrong), then store."""
        parsed_segments = [parse_segment(s, f"segments[{i}]") for i, s in enumerate(segments)]
        parsed = [parse_campaign(c, f"campaigns[{i}]") for i, c in enumerate(campaigns)]
        with self.emu._lock:
            sm = self.of(scope)
            known = set(sm.segments) | {s.id for s in parsed_segments}
            for i, c in enumerate(parsed):
                if c.segment is not None and c.segment not in known:
                    raise DefinitionError(f"campaigns[{i}].segment: no segment {c.segment!r} (seeded: {sorted(known)})")
            for s in parsed_segments:
                sm.segments[s.id] = s
            for c in parsed:
                sm.campaigns[c.id] = c
                # whole seconds on the wire (`ca`), strictly increasing: the SDK orders cards by it, newest first
                sm.last_update = max(int(time.time()), sm.last_update + 1)
                sm.updated_at[c.id] = sm.last_update
        return {"segments": [s.id for s in parsed_segments], "campaigns": [c.id for c in parsed]}

    def remove(self, scope: str, campaign_id: str) -> bool:
        with self.emu._lock:
            sm = self.of(scope)
            sm.updated_at.pop(campaign_id, None)
            return sm.campaigns.pop(campaign_id, None) is not None

    def drop(self, scope: str) -> None:
        with self.emu._lock:
            self._scopes.pop(scope, None)

    def describe(self, scope: str) -> dict[str, Any]:
        with self.emu._lock:
            sm = self.of(scope)
            return {
                "segments": [s.model_dump(mode="json") for s in sm.segments.values()],
                "campaigns": [
                    {**c.model_dump(mode="json"), **({"trigger_id": trigger_id(c.id)} if isinstance(c, InAppCampaign) else {})}
                    for c in sm.campaigns.values()
                ],
                "templates": list(sm.template_log),
            }

    def members(self, scope: str, segment_id: str) -> list[dict[str, Any]]:
        with self.emu._lock:
            sm = self.of(scope)
            segment = sm.segments.get(segment_id)
            if segment is None:
                raise DefinitionError(f"no segment {segment_id!r} in scope {scope!r}")
            out = []
            for p in self.emu.profiles(scope=scope):
                if evaluate(segment, p, sm.lookup):
                    out.append({"braze_id": p["braze_id"], "external_id": p["external_id"]})
            return out

    # -- serving ----------------------------------------------------------------------------------

    def _context(self, decoded: DecodedRequest) -> tuple[ScopeMessaging | None, dict[str, Any] | None, str]:
        body = decoded.body
        device_id = body.device_id if body else None
        scope = self.emu.journal.scopes.scope_for(decoded.api_key, device_id)
        user_id = body.user_id if body else None
        if isinstance(body, (DataRequest, TemplateRequest)) and body.respond_with and body.respond_with.user_id:
            user_id = body.respond_with.user_id
        user_key = f"user:{user_id}" if user_id else f"device:{device_id}"
        if scope is None or scope not in self._scopes:
            return None, None, user_key
        profile = None
        state = self.emu.state
        if user_id:
            found = state.profiles(api_key=decoded.api_key, external_id=user_id)
        else:
            found = [p for p in state.profiles(api_key=decoded.api_key, device_id=device_id) if p.external_id is None]
        if found:
            profile = state.profile_json(found[0])
        return self._scopes[scope], profile, user_key

    @staticmethod
    def _live(c: Any, now: float) -> bool:
        start, end = getattr(c, "start_time", None), getattr(c, "end_time", None)
        # start/end are sent to the SDK for IAMs (it enforces them); other channels are filtered here
        return (start is None or start <= now) and (end is None or end > now)

    def triggers(self, decoded: DecodedRequest) -> list[dict[str, Any]]:
        sm, profile, _ = self._context(decoded)
        if sm is None:
            return []
        out = []
        for cid, c in sm.campaigns.items():
            if not isinstance(c, InAppCampaign) or not evaluate(sm.segments.get(c.segment or ""), profile, sm.lookup):
                continue
            tid = trigger_id(cid)
            if c.templated and not c.control:
                data: dict[str, Any] = {"trigger_id": tid, "prefetch": False}
            else:
                data = _message_json(c, tid)
            trig: dict[str, Any] = {
                "id": cid,
                "trigger_condition": [c.trigger.wire()],
                "priority": c.priority,
                "type": "templated_iam" if c.templated and not c.control else "inapp",
                "data": data,
                "start_time": c.start_time,
                "end_time": c.end_time,
                "re_eligibility": c.re_eligibility,
                "delay": c.delay,
                "timeout": None,
            }
            if c.min_seconds_since_last_trigger is not None:
                trig["min_seconds_since_last_trigger"] = c.min_seconds_since_last_trigger
            out.append(trig)
        return out

    def template(self, decoded: DecodedRequest) -> dict[str, Any]:
        body = decoded.body
        assert isinstance(body, TemplateRequest)
        sm, profile, user_key = self._context(decoded)
        if sm is None:
            return {}
        cid = next(
            (k for k, c in sm.campaigns.items() if isinstance(c, InAppCampaign) and trigger_id(k) == body.template.trigger_id),
            None,
        )
        campaign = sm.campaigns.get(cid or "")
        if not isinstance(campaign, InAppCampaign):
            return {}
        event = body.template.data or {}
        event_data = event.get("data") if isinstance(event.get("data"), dict) else {}
        props = event_data.get("p") or event_data.get("pr") or {}
        connected, failure = ({}, None)
        if campaign.connected_content_url:
            connected, failure = fetch_connected(campaign.connected_content_url)
        context = {"profile": profile, "event_properties": props, "connected": connected}
        message = _message_json(campaign, trigger_id(campaign.id))
        for key in ("message", "header"):
            message[key] = render(message.get(key), context)
        if message.get("type") == "HTML":
            message["message"] = render(message.get("message"), context)
        for b in message.get("btns", []):
            b["text"] = render(b.get("text"), context)
        sm.template_log.append(
            {
                "campaign": campaign.id,
                "user": user_key,
                "message": message.get("message"),
                "header": message.get("header"),
                "connected_content_error": failure,
            }
        )
        return {"templated_message": {"type": "inapp", "data": message}}

    def content_cards(self, decoded: DecodedRequest) -> dict[str, Any]:
        body = decoded.body
        assert isinstance(body, ContentCardsSyncRequest)
        now = time.time()
        sm, profile, user_key = self._context(decoded)
        if sm is None:
            return {"cards": [], "full_sync": True, "last_full_sync_at": int(now), "last_card_updated_at": int(now)}
        dismissed = self._engaged(sm, decoded, "ccd", user_key)
        eligible: dict[str, dict[str, Any]] = {}
        for cid, c in sm.campaigns.items():
            if not isinstance(c, ContentCardCampaign) or not self._live(c, now) or cid in dismissed:
                continue
            if c.card.expires_at is not None and c.card.expires_at <= now:
                continue
            if evaluate(sm.segments.get(c.segment or ""), profile, sm.lookup):
                eligible[cid] = _card_json(c, sm.updated_at[cid])
        previous = sm.inboxes.get(user_key)
        sm.inboxes[user_key] = {cid: card["ca"] for cid, card in eligible.items()}
        latest = max((card["ca"] for card in eligible.values()), default=int(now))
        if not body.last_full_sync_at or previous is None:
            return {
                "cards": list(eligible.values()),
                "full_sync": True,
                "last_full_sync_at": int(now),
                "last_card_updated_at": latest,
            }
        changed = [card for cid, card in eligible.items() if previous.get(cid, -1) < card["ca"]]
        removed = [{"id": cid, "r": True} for cid in previous if cid not in eligible]
        return {
            "cards": changed + removed,
            "full_sync": False,
            "last_full_sync_at": int(body.last_full_sync_at),
            "last_card_updated_at": latest,
        }

    def feature_flags(self, decoded: DecodedRequest) -> dict[str, Any]:
        sm, profile, _ = self._context(decoded)
        if sm is None:
            return {"feature_flags": []}
        flags = []
        for cid, c in sm.campaigns.items():
            if isinstance(c, FeatureFlag):
                on = c.enabled and evaluate(sm.segments.get(c.segment or ""), profile, sm.lookup)
                flag: dict[str, Any] = {
                    "id": cid,
                    "enabled": on,
                    "properties": {k: v.model_dump() for k, v in c.properties.items()},
                }
                if on:
                    flag["fts"] = tracking_string(cid)
                flags.append(flag)
        return {"feature_flags": flags}

    def banners(self, decoded: DecodedRequest) -> dict[str, Any]:
        body = decoded.body
        assert isinstance(body, BannersSyncRequest)
        now = time.time()
        out: dict[str, Any] = {}
        sm, profile, user_key = self._context(decoded)
        if sm is not None:
            dismissed = self._engaged(sm, decoded, "bd", user_key) | {d.banner_id for d in body.pending_dismissals if d.banner_id}
            wanted = {p.id for p in body.placements}
            best: dict[str, Banner] = {}
            for cid, c in sm.campaigns.items():
                if not isinstance(c, Banner) or c.placement not in wanted or cid in dismissed:
                    continue
                if c.expires_at is not None and c.expires_at <= now:
                    continue
                if not evaluate(sm.segments.get(c.segment or ""), profile, sm.lookup):
                    continue
                if c.placement not in best or c.priority > best[c.placement].priority:
                    best[c.placement] = c
            for placement, c in best.items():
                out[placement] = {
                    "banner": {
                        "id": c.id,
                        "placement_id": placement,
                        "html": "" if c.control else c.html,
                        "is_test_send": False,
                        "is_control": c.control,
                        "expires_at": -1 if c.expires_at is None else int(c.expires_at),
                        "properties": {k: v.model_dump() for k, v in c.properties.items()},
                        "stable_key": f"sk-{c.id}",
                    }
                }
        answer: dict[str, Any] = {"banners": out}
        if body.time_ms is not None:
            answer["request_time"] = body.time_ms  # an older one makes the SDK discard the answer
        if body.pending_dismissals:
            answer["dismissals"] = {"acknowledged": [d.model_dump(exclude_none=True) for d in body.pending_dismissals]}
        return answer

    def answer(self, decoded: DecodedRequest) -> dict[str, Any] | None:
        """The body for a messaging endpoint (None: not one)."""
        match decoded.endpoint:
            case Endpoint.CONTENT_CARDS:
                return self.content_cards(decoded)
            case Endpoint.FEATURE_FLAGS:
                return self.feature_flags(decoded)
            case Endpoint.BANNERS:
                return self.banners(decoded)
            case Endpoint.TEMPLATE:
                return self.template(decoded)
        return None

    # -- engagement -------------------------------------------------------------------------------

    def _engaged(self, sm: ScopeMessaging, decoded: DecodedRequest, code: str, user_key: str) -> set[str]:
        """Ids `user_key` engaged with by `code` (e.g. cards dismissed) in this scope's journal."""
        scope = self.emu.journal.scopes.scope_for(decoded.api_key, decoded.body.device_id if decoded.body else None)
        found: set[str] = set()
        for entry in self.emu.journal.query(Query(scope=scope, event_code=code)):
            for user, ident in _engagements(entry, code):
                if user == user_key or (user.startswith("device:") and user_key == user):
                    found.add(ident)
        return found

    def metrics(self, scope: str, campaign_id: str | None = None) -> dict[str, Any]:
        """Per campaign: totals and uniques (distinct users) by engagement code, and counts by user."""
        with self.emu._lock:
            sm = self.of(scope)
            result: dict[str, Any] = {
                cid: {"campaign": cid, "kind": c.kind, "totals": {}, "uniques": {}, "by_user": {}}
                for cid, c in sm.campaigns.items()
            }
            unattributed: dict[str, int] = {}
            users: dict[tuple[str, str], set[str]] = {}
            for entry in self.emu.journal.query(Query(scope=scope, endpoint=Endpoint.DATA.value)):
                for code in ENGAGEMENT_CODES:
                    if code not in entry.event_codes:
                        continue
                    for user, ident in _engagements(entry, code):
                        cid = sm.campaign_of(code, ident)
                        if cid is None:
                            unattributed[code] = unattributed.get(code, 0) + 1
                            continue
                        m = result[cid]
                        m["totals"][code] = m["totals"].get(code, 0) + 1
                        users.setdefault((cid, code), set()).add(user)
                        per_user = m["by_user"].setdefault(user, {})
                        per_user[code] = per_user.get(code, 0) + 1
            for (cid, code), who in users.items():
                result[cid]["uniques"][code] = len(who)
        if campaign_id is not None:
            if campaign_id not in result:
                raise DefinitionError(f"no campaign {campaign_id!r} in scope {scope!r}")
            return result[campaign_id]
        return {"campaigns": result, "unattributed": unattributed}


def _engagements(entry: Any, code: str) -> list[tuple[str, str]]:
    """(user key, id) pairs of one request's `code` events."""
    body = entry.request.body
    out = []
    for e in entry.events:
        if e.name != code:
            continue
        data = e.data.model_dump() if isinstance(e.data, BaseModel) else (e.data or {})
        user_id = e.user_id or (body.user_id if body else None)
        user = f"user:{user_id}" if user_id else f"device:{entry.device_id}"
        if "trigger_ids" in data:
            ids = data["trigger_ids"] or []
        elif "ids" in data:
            ids = data["ids"] or []
        elif "fid" in data:
            ids = [data["fid"]]
        elif "id" in data:
            ids = [data["id"]]
        else:
            ids = []
        out.extend((user, str(i)) for i in ids)
    return out


def _message_json(c: InAppCampaign, tid: str) -> dict[str, Any]:
    m = c.message
    data: dict[str, Any] = {
        "type": m.type,
        "message": m.html if m.type == "HTML" else m.message,
        "header": m.header,
        "trigger_id": tid,
        "message_close": m.message_close,
        "duration": m.duration,
        "click_action": m.click_action,
        "uri": m.uri,
        "extras": dict(m.extras),
        "btns": [
            {
                "id": b.id,
                "text": b.text,
                "click_action": b.click_action,
                "uri": b.uri,
                "bg_color": 4278219733,
                "text_color": 4294967295,
            }
            for b in m.buttons
        ],
        "bg_color": 4294967295,
        "text_color": 4281545523,
        "close_btn_color": 4288387995,
        "image_url": m.image_url,
        "animate_in": False,
        "animate_out": False,
        "is_control": c.control,
    }
    if m.type == "FULL":
        data["image_url"] = m.image_url
    return data


def _card_json(c: ContentCardCampaign, updated: float) -> dict[str, Any]:
    card = c.card
    out: dict[str, Any] = {
        "id": c.id,
        "tp": CARD_TYPES[card.type],
        "ca": int(updated),
        "ea": -1 if card.expires_at is None else int(card.expires_at),
        "v": False,
        "cl": False,
        "p": card.pinned,
        "db": card.dismissible,
        "e": dict(card.extras),
        "t": False,
    }
    for key, value in (
        ("tt", card.title),
        ("ds", card.description),
        ("i", card.image),
        ("u", card.url),
        ("dm", card.link_text),
        ("ar", card.aspect_ratio),
    ):
        if value is not None:
            out[key] = value
    return out
