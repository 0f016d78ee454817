"""Per-scope messaging: what tests seeded, served to the SDK's requests, and engagement read back.

The Emulator calls `Messaging` from `_response_body` (under its lock, after the request was applied
to the profiles, so segments see what the same request changed). Engagement (si, sc, cci, ccd, ...)
is read from the scope's journal: one source of truth, and a dismissal is honoured as soon as the
`ccd` that reports it has arrived.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from harness.emulator.messaging import canvases as cv
from harness.emulator.messaging.canvas_models import Canvas, MessageStep, parse_canvas
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
from harness.emulator.messaging.rate_limit import CardRateLimit, TokenBucket
from harness.emulator.messaging.segments import evaluate
from harness.emulator.messaging.templating import Aborted, fetch_connected, render
from harness.emulator.push.service import PushSendError, parse_messages
from harness.journal import Query
from harness.protocol.decode import DecodedRequest, Endpoint
from harness.protocol.ids import tracking_string, trigger_id
from harness.protocol.push import campaign_from_tracking
from harness.protocol.requests import (
    BannersSyncRequest,
    ContentCardsSyncRequest,
    DataRequest,
    TemplateRequest,
)

if TYPE_CHECKING:
    from harness.emulator.core import Emulator

AnyCampaign = InAppCampaign | ContentCardCampaign | FeatureFlag | Banner
ENGAGEMENT_CODES = ("si", "sc", "sbc", "iec", "cci", "ccc", "ccd", "ccic", "ffi", "bi", "bc", "bd", "pc")




@dataclass
class ScopeMessaging:
    name: str = ""  # the scope's id
    segments: dict[str, Segment] = field(default_factory=dict)
    campaigns: dict[str, AnyCampaign] = field(default_factory=dict)
    updated_at: dict[str, float] = field(default_factory=dict)  # campaign id -> seeded/updated (unix s)
    inboxes: dict[str, dict[str, float]] = field(default_factory=dict)  # user key -> card id -> ca sent
    template_log: list[dict[str, Any]] = field(default_factory=list)  # what /template/ rendered
    last_update: int = 0
    canvases: dict[str, Canvas] = field(default_factory=dict)
    runs: dict[tuple[str, str], cv.CanvasRun] = field(default_factory=dict)  # (canvas id, user key) -> progress
    clock_offset: float = 0.0  # seconds this scope's clock is ahead of real time (`advance`): canvas delays use it
    card_rate_limit: CardRateLimit | bool | None = None  # per-scope override (False: off) of the settings' limit
    card_buckets: dict[str, TokenBucket] = field(default_factory=dict)  # device id -> bucket
    card_syncs_limited: int = 0

    def now(self) -> float:
        return time.time() + self.clock_offset

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

    def canvas_step_of(self, code: str, ident: str) -> tuple[str, str] | None:
        """Which canvas and step an engagement id belongs to: its trigger id (IAM steps) or `<canvas>.<step>` (cards)."""
        for canvas in self.canvases.values():
            for step in canvas.steps:
                if isinstance(step, MessageStep):
                    mid = cv.step_message_id(canvas.id, step.id)
                    if ident == (trigger_id(mid) if code in ("si", "sc", "sbc", "iec") else mid):
                        return canvas.id, step.id
        return None


class Messaging:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self._scopes: dict[str, ScopeMessaging] = {}

    # -- seeding ----------------------------------------------------------------------------------

    def of(self, scope: str) -> ScopeMessaging:
        return self._scopes.setdefault(scope, ScopeMessaging(name=scope))

    def seed(
        self, scope: str, *, segments: list[Any] = (), campaigns: list[Any] = (), canvases: list[Any] = ()
    ) -> dict[str, list[str]]:
        """Validate everything first (nothing is stored if one definition is wrong), then store."""
        parsed_segments = [parse_segment(s, f"segments[{i}]") for i, s in enumerate(segments)]
        parsed = [parse_campaign(c, f"campaigns[{i}]") for i, c in enumerate(campaigns)]
        parsed_canvases = [parse_canvas(c, f"canvases[{i}]") for i, c in enumerate(canvases)]
        with self.emu._lock:
            sm = self.of(scope)
            known = set(sm.segments) | {s.id for s in parsed_segments}
            for i, c in enumerate(parsed):
                if c.segment is not None and c.segment not in known:
                    raise DefinitionError(f"campaigns[{i}].segment: no segment {c.segment!r} (seeded: {sorted(known)})")
            for i, canvas in enumerate(parsed_canvases):
                for where, segment in canvas.segments_used():
                    if segment not in known:
                        raise DefinitionError(f"canvases[{i}].{where}: no segment {segment!r} (seeded: {sorted(known)})")
            for s in parsed_segments:
                sm.segments[s.id] = s
            for canvas in parsed_canvases:
                sm.canvases[canvas.id] = canvas
                for key in [k for k in sm.runs if k[0] == canvas.id]:
                    del sm.runs[key]  # a re-seeded canvas starts over
            for c in parsed:
                sm.campaigns[c.id] = c
                # whole seconds on the wire (`ca`), strictly increasing: the SDK orders cards by it, newest first
                sm.last_update = max(int(time.time()), sm.last_update + 1)
                sm.updated_at[c.id] = sm.last_update
        return {
            "segments": [s.id for s in parsed_segments],
            "campaigns": [c.id for c in parsed],
            "canvases": [c.id for c in parsed_canvases],
        }

    def remove(self, scope: str, campaign_id: str) -> bool:
        """Remove a campaign or a canvas (its users' progress and what it sent go with it)."""
        with self.emu._lock:
            sm = self.of(scope)
            sm.updated_at.pop(campaign_id, None)
            if sm.canvases.pop(campaign_id, None) is not None:
                for key in [k for k in sm.runs if k[0] == campaign_id]:
                    del sm.runs[key]
                return True
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
                "canvases": [c.model_dump(mode="json") for c in sm.canvases.values()],
                "templates": list(sm.template_log),
                "clock_offset": sm.clock_offset,
                "content_card_syncs_rate_limited": sm.card_syncs_limited,
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

    # -- clock, options, canvases -----------------------------------------------------------------

    def advance(self, scope: str, seconds: float) -> float:
        """Move this scope's clock on (canvas delays, the card rate limit's refill); the new offset."""
        with self.emu._lock:
            sm = self.of(scope)
            sm.clock_offset += seconds
            return sm.clock_offset

    def set_card_rate_limit(self, scope: str, limit: CardRateLimit | bool | None) -> CardRateLimit | None:
        """This scope's Content Cards rate limit: a limit, True (the documented 5 / 180 s), False (off) or
        None (the emulator's setting). Buckets start full again."""
        with self.emu._lock:
            sm = self.of(scope)
            sm.card_rate_limit = CardRateLimit() if limit is True else limit
            sm.card_buckets.clear()
            return self._card_limit(sm)

    def _card_limit(self, sm: ScopeMessaging | None) -> CardRateLimit | None:
        if sm is not None and sm.card_rate_limit is not None:
            return sm.card_rate_limit or None
        settings = self.emu.settings
        if getattr(settings, "content_cards_rate_limit", False):
            return CardRateLimit(
                capacity=settings.content_cards_rate_limit_capacity,
                refill_seconds=settings.content_cards_rate_limit_refill_s,
            )
        return None

    def observe(self, decoded: DecodedRequest) -> None:
        """A /data/ request (already applied to the profiles): its custom events may enter canvases, and every
        user it carries data for moves on through theirs."""
        body = decoded.body
        if not isinstance(body, DataRequest):
            return
        scope = self.emu.journal.scopes.scope_for(decoded.api_key, body.device_id)
        sm = self._scopes.get(scope or "")
        if sm is None or not sm.canvases:
            return
        by_user: dict[str | None, list[tuple[str, dict[str, Any]]]] = {}
        for e in body.events:
            events = by_user.setdefault(e.user_id or body.user_id, [])
            if e.name == "ce":
                data = e.data.model_dump() if isinstance(e.data, BaseModel) else (e.data or {})
                if isinstance(data, dict) and data.get("n"):
                    events.append((str(data["n"]), data.get("p") or {}))
        if body.respond_with and body.respond_with.user_id:
            by_user.setdefault(body.respond_with.user_id, [])
        if not by_user:
            by_user[body.user_id] = []
        for user_id, events in by_user.items():
            profile = self._profile(decoded.api_key, body.device_id, user_id)
            key = f"user:{user_id}" if user_id else f"device:{body.device_id}"
            self._walk_user(sm, key, profile, events, enter_segments=True)

    def observe_rest_events(self, scope: str | None, api_key: str, events: Any) -> None:
        """`/users/track` events (already applied): they enter event-entry canvases like the SDK's custom events
        (Braze's action-based delivery takes API events; in-app message triggers do not, braze-behaviour.md §4.4)."""
        with self.emu._lock:
            sm = self._scopes.get(scope or "")
            if sm is None or not sm.canvases or not isinstance(events, list):
                return
            for event in events:
                user_id = event.get("external_id") if isinstance(event, dict) else None
                if not isinstance(user_id, str) or not isinstance(event.get("name"), str):
                    continue  # refused by /users/track already (or identified otherwise: no user key to walk)
                props = event.get("properties") if isinstance(event.get("properties"), dict) else {}
                profile = self._profile(api_key, None, user_id)
                self._walk_user(sm, f"user:{user_id}", profile, [(event["name"], props)])

    def _profile(self, api_key: str | None, device_id: str | None, user_id: str | None) -> dict[str, Any] | None:
        state = self.emu.state
        if user_id:
            found = state.profiles(api_key=api_key, external_id=user_id)
        else:
            found = [p for p in state.profiles(api_key=api_key, device_id=device_id) if p.external_id is None]
        return state.profile_json(found[0]) if found else None

    def _walk_user(
        self,
        sm: ScopeMessaging,
        user_key: str,
        profile: dict[str, Any] | None,
        events: Any = (),
        *,
        enter_segments: bool = False,
    ) -> None:
        """Enter canvases (custom-event entries from `events`; segment entries when `enter_segments`: the
        user's own SDK request), then move the user on through each canvas as far as the scope's clock allows."""
        now = sm.now()
        for canvas in sm.canvases.values():
            key = (canvas.id, user_key)
            run = sm.runs.get(key)
            if run is not None:
                cv.walk(canvas, run, now, profile, sm.lookup)
            entry = canvas.entry
            if entry.type == "custom_event":
                for name, props in events:
                    ok = name == entry.event and cv.properties_match(entry.property_filters, props)
                    if ok and cv.may_enter(canvas, run, profile, sm.lookup):
                        run = sm.runs[key] = cv.enter(canvas, user_key, now, {"event": name})
                        cv.walk(canvas, run, now, profile, sm.lookup)
            elif (
                enter_segments
                and run is None
                and profile is not None
                and cv.may_enter(canvas, run, profile, sm.lookup)
                and evaluate(sm.segments.get(entry.segment or ""), profile, sm.lookup)
            ):
                run = sm.runs[key] = cv.enter(canvas, user_key, now, {"segment": entry.segment})
                cv.walk(canvas, run, now, profile, sm.lookup)
        self._send_pushes(sm, {user_key})

    def _send_pushes(self, sm: ScopeMessaging, user_keys: set[str]) -> None:
        """Send the push steps these users reached and that were not sent yet (after walking, so the push
        service's own profile reads, which walk canvases too, never meet a half-moved user)."""
        due = []
        for (canvas_id, who), run in sm.runs.items():
            canvas = sm.canvases.get(canvas_id)
            if who not in user_keys or canvas is None:
                continue
            for mid in run.sent:
                found = cv.step_of({canvas_id: canvas}, mid)
                if found is not None and found[1].channel == "push" and mid not in run.pushed:
                    run.pushed[mid] = {"deliveries": 0}  # claimed before sending: a nested read must not send it again
                    due.append((run, mid, found[1]))
        for run, mid, step in due:
            if not run.user.startswith("user:"):
                run.pushed[mid] = {"deliveries": 0, "skipped": ["anonymous user: push needs an external id"]}
                continue
            try:
                sent = self.emu.push.send(sm.name, parse_messages(step.push), external_ids=[run.user[5:]], campaign_id=mid)
            except PushSendError as exc:
                run.pushed[mid] = {"deliveries": 0, "error": str(exc)}
                continue
            run.pushed[mid] = {
                "deliveries": len(sent.deliveries),
                "dispatch_id": sent.dispatch_id,
                "skipped": [s.get("reason") for s in sent.skipped],
            }

    @staticmethod
    def _reached(sm: ScopeMessaging, user_key: str, channel: str) -> list[tuple[Canvas, MessageStep, float]]:
        """(canvas, message step, when reached) of this user's canvas messages on `channel`."""
        out = []
        for (canvas_id, who), run in sm.runs.items():
            canvas = sm.canvases.get(canvas_id)
            if who != user_key or canvas is None:
                continue
            for mid, at in run.sent.items():
                found = cv.step_of({canvas_id: canvas}, mid)
                if found is not None and found[1].channel == channel:
                    out.append((canvas, found[1], at))
        return out

    def annotate(self, scope: str | None, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add `canvases` (each canvas's progress, walked on to now) to profile views of scopes with canvases."""
        with self.emu._lock:
            for view in views:
                sm = self._scopes.get(scope or self._scope_of_view(view) or "")
                if sm is None or not sm.canvases:
                    continue
                if view.get("external_id"):
                    keys = {f"user:{view['external_id']}"}
                else:
                    keys = {f"device:{d['device_id']}" for d in view.get("devices", [])}
                progress = {}
                for (canvas_id, who), run in sm.runs.items():
                    if who in keys and canvas_id in sm.canvases:
                        cv.walk(sm.canvases[canvas_id], run, sm.now(), view, sm.lookup)
                self._send_pushes(sm, keys)
                for (canvas_id, who), run in sm.runs.items():
                    if who in keys and canvas_id in sm.canvases:
                        progress[canvas_id] = run.to_json()
                view["canvases"] = progress
        return views

    def _scope_of_view(self, view: dict[str, Any]) -> str | None:
        for d in view.get("devices", []):
            scope = self.emu.journal.scopes.scope_for(d.get("app"), d.get("device_id"))
            if scope is not None:
                return scope
        return None

    def canvas_progress(self, scope: str, canvas_id: str) -> dict[str, Any]:
        """Every user's progress through one canvas, walked on to now: `{"canvas", "now", "users": {key: ...}}`."""
        with self.emu._lock:
            sm = self.of(scope)
            if canvas_id not in sm.canvases:
                raise DefinitionError(f"no canvas {canvas_id!r} in scope {scope!r} (seeded: {sorted(sm.canvases)})")
            self.emu.profiles(scope=scope)  # walks every user's runs with their profile (annotate)
            users = {who: run.to_json() for (cid, who), run in sm.runs.items() if cid == canvas_id}
            return {"canvas": canvas_id, "now": sm.now(), "clock_offset": sm.clock_offset, "users": users}

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
        sm, profile, user_key = self._context(decoded)
        if sm is None:
            return []
        out = []
        for cid, c in sm.campaigns.items():
            if not isinstance(c, InAppCampaign) or not evaluate(sm.segments.get(c.segment or ""), profile, sm.lookup):
                continue
            out.append(_trigger_json(cid, c))
        # in-app messages of the canvas steps this user reached (and only this user)
        self._walk_user(sm, user_key, profile, (), enter_segments=True)
        now = sm.now()
        for canvas, step, at in self._reached(sm, user_key, "in_app_message"):
            if now < at + step.available_for:
                campaign = cv.iam_campaign(canvas, step)
                out.append(_trigger_json(campaign.id, campaign))
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
        try:
            for key in ("message", "header"):
                message[key] = render(message.get(key), context)
            for b in message.get("btns", []):
                b["text"] = render(b.get("text"), context)
        except Aborted as exc:
            sm.template_log.append(
                {
                    "campaign": campaign.id,
                    "user": user_key,
                    "aborted": True,
                    "abort_reason": exc.reason,
                    "connected_content_error": failure,
                }
            )
            # Braze documents no wire answer for an aborted message; a 2xx `error` is what the Web SDK treats as
            # "Server aborted in-app message display": nothing shown, it falls back to a lower-priority trigger
            return {"error": "message aborted"}
        sm.template_log.append(
            {
                "campaign": campaign.id,
                "user": user_key,
                "message": message.get("message"),
                "header": message.get("header"),
                "connected_content_error": failure,
                "aborted": False,
            }
        )
        return {"templated_message": {"type": "inapp", "data": message}}

    def content_cards(self, decoded: DecodedRequest) -> dict[str, Any]:
        body = decoded.body
        assert isinstance(body, ContentCardsSyncRequest)
        now = time.time()
        if self._card_sync_limited(decoded):
            return {}  # no `cards`: the SDK keeps (and shows) what it has cached (rate_limit.py)
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
        # the cards of the canvas steps this user reached
        self._walk_user(sm, user_key, profile, (), enter_segments=True)
        for canvas, step, at in self._reached(sm, user_key, "content_card"):
            mid = cv.step_message_id(canvas.id, step.id)
            assert step.card is not None
            if mid in dismissed or (step.card.expires_at is not None and step.card.expires_at <= now):
                continue
            eligible[mid] = _card_json(ContentCardCampaign(id=mid, card=step.card), at)
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

    def _card_sync_limited(self, decoded: DecodedRequest) -> bool:
        """Whether this device's token bucket is empty (only when the rate limit is on)."""
        device_id = decoded.body.device_id if decoded.body else None
        scope = self.emu.journal.scopes.scope_for(decoded.api_key, device_id)
        if scope is None:
            return False
        limit = self._card_limit(self._scopes.get(scope))
        if limit is None:
            return False
        sm = self.of(scope)
        now = sm.now()
        bucket = sm.card_buckets.setdefault(device_id or "", TokenBucket.full(limit, now))
        if bucket.take(now):
            return False
        sm.card_syncs_limited += 1
        return True

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
            canvases: dict[str, Any] = {
                cid: {"canvas": cid, "kind": "canvas", "totals": {}, "uniques": {}, "by_user": {}, "steps": {}}
                for cid in sm.canvases
            }
            canvas_users: dict[tuple[str, str, str], set[str]] = {}  # (canvas, step or "", code) -> users
            pushed = self.emu.push.campaign_ids(scope)  # push sends (harness/emulator/push): opens `pc {cid}`
            for cid in pushed - set(result):
                result[cid] = {"campaign": cid, "kind": "push", "totals": {}, "uniques": {}, "by_user": {}}
            for cid in pushed:
                result[cid]["sent"] = self.emu.push.sent(scope, cid)
            for entry in self.emu.journal.query(Query(scope=scope, endpoint=Endpoint.DATA.value)):
                for code in ENGAGEMENT_CODES:
                    if code not in entry.event_codes:
                        continue
                    for user, ident in _engagements(entry, code):
                        cid = sm.campaign_of(code, ident)
                        if cid is None and code == "pc":  # a push campaign; on the web a tracking string
                            cid = ident if ident in pushed else campaign_from_tracking(ident)
                            cid = cid if cid in pushed else None
                        if cid is None:
                            step = sm.canvas_step_of(code, ident)
                        else:  # a canvas push step's opens reach here as the push campaign `<canvas>.<step>`
                            step = sm.canvas_step_of(code, cid) if code == "pc" else None
                        if step is not None:
                            canvas = canvases[step[0]]
                            _tally(canvas, code, user, canvas_users.setdefault((step[0], "", code), set()))
                            per_step = canvas["steps"].setdefault(step[1], {"totals": {}, "uniques": {}, "by_user": {}})
                            _tally(per_step, code, user, canvas_users.setdefault((step[0], step[1], code), set()))
                            if cid is None:
                                continue
                            # else also the push campaign `<canvas>.<step>` it was sent as (its `sent` is counted
                            # there: `braze.push.wait_opens(step id)` must see the opens too)
                        if cid is None:
                            unattributed[code] = unattributed.get(code, 0) + 1
                            continue
                        _tally(result[cid], code, user, users.setdefault((cid, code), set()))
            for (cid, code), who in users.items():
                result[cid]["uniques"][code] = len(who)
            for (cid, step_id, code), who in canvas_users.items():
                (canvases[cid]["steps"][step_id] if step_id else canvases[cid])["uniques"][code] = len(who)
        if campaign_id is not None:
            if campaign_id in canvases and campaign_id not in result:
                return canvases[campaign_id]
            if campaign_id not in result:
                raise DefinitionError(f"no campaign or canvas {campaign_id!r} in scope {scope!r}")
            return result[campaign_id]
        return {"campaigns": result, "canvases": canvases, "unattributed": unattributed}


def _tally(m: dict[str, Any], code: str, user: str, who: set[str]) -> None:
    m["totals"][code] = m["totals"].get(code, 0) + 1
    per_user = m["by_user"].setdefault(user, {})
    per_user[code] = per_user.get(code, 0) + 1
    who.add(user)


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
        elif data.get("cid"):  # push open `pc {cid}`
            ids = [data["cid"]]
        else:
            ids = []
        out.extend((user, str(i)) for i in ids)
    return out


def _trigger_json(cid: str, c: InAppCampaign) -> dict[str, Any]:
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
    return trig


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
