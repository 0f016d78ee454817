"""Serving messaging to the SDK's requests: in-app message triggers (in the /data/ answer), Content Cards, feature
flags, banners and templated in-app messages (`/template/`, with Connected Content fetched beforehand).

Called by the pipeline under the emulator's lock, after the request was applied to the profiles (so segments
see what the same request changed), except `prefetch`, which runs before, outside the lock.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from braze_harness.emulator.clock import ScopeClocks
from braze_harness.emulator.messaging import canvases as cv
from braze_harness.emulator.messaging.audience import Audience
from braze_harness.emulator.messaging.canvas_runner import CanvasRunner
from braze_harness.emulator.messaging.connected_content import Allowlist, fetch_connected
from braze_harness.emulator.messaging.models import Banner, Card, ContentCardCampaign, FeatureFlag, InAppCampaign
from braze_harness.emulator.messaging.payloads import card_json, message_json, trigger_json
from braze_harness.emulator.messaging.rate_limit import CardRateLimit, TokenBucket
from braze_harness.emulator.messaging.segments import evaluate
from braze_harness.emulator.messaging.store import MessagingStore, ScopeMessaging
from braze_harness.emulator.messaging.templating import (
    Aborted,
    Fetched,
    TemplateError,
    connected_urls,
    render_message,
    render_strings,
    template_data,
)
from braze_harness.emulator.messaging.why import Decision, segment_reasons, trigger_text
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.emulator.state.engagement import Engagement, user_key
from braze_harness.protocol.decode import DecodedRequest, Endpoint
from braze_harness.protocol.ids import step_message_id, tracking_string, trigger_id
from braze_harness.protocol.problems import Problem
from braze_harness.protocol.requests import BannersSyncRequest, ContentCardsSyncRequest, DataRequest, TemplateRequest


@dataclass(frozen=True, slots=True)
class Prefetched:
    """What a `/template/` request needs before it is answered: its Connected Content (fetched outside the lock:
    the campaign's `connected_content_url` as `connected`, and each `{% connected_content %}` tag's by its markup in
    `fetched`), and, once answered, the problems its rendering met (a failed fetch, a template error or bound),
    which the pipeline puts on the request's journal entry."""

    connected: dict[str, Any]
    failure: str | None
    problems: list[Problem] = field(default_factory=list)
    fetched: dict[str, Fetched] = field(default_factory=dict)


class Serving:
    def __init__(
        self,
        store: MessagingStore,
        audience: Audience,
        engagement: Engagement,
        clock: ScopeClocks,
        runner: CanvasRunner,
        settings: EmulatorSettings,
        lock: threading.RLock,
    ) -> None:
        self.store = store
        self.audience = audience
        self.engagement = engagement
        self.clock = clock
        self.runner = runner
        self.settings = settings
        self.lock = lock
        self.allow = Allowlist.parse(settings.connected_content_allow)

    def answer(self, decoded: DecodedRequest, scope: str | None, prefetched: Prefetched | None = None) -> dict[str, Any] | None:
        """The body for a messaging endpoint (None: not one)."""
        match decoded.endpoint:
            case Endpoint.CONTENT_CARDS:
                return self.content_cards(decoded, scope)
            case Endpoint.FEATURE_FLAGS:
                return self.feature_flags(decoded, scope)
            case Endpoint.BANNERS:
                return self.banners(decoded, scope)
            case Endpoint.TEMPLATE:
                return self.template(decoded, scope, prefetched)
        return None

    def _context(self, decoded: DecodedRequest, scope: str | None) -> tuple[ScopeMessaging | None, dict[str, Any] | None, str]:
        body = decoded.body
        device_id = body.device_id if body else None
        user_id = body.user_id if body else None
        if isinstance(body, DataRequest | TemplateRequest) and body.respond_with and body.respond_with.user_id:
            user_id = body.respond_with.user_id
        who = user_key(user_id, device_id)
        sm = self.store.get(scope)
        if sm is None:
            return None, None, who
        return sm, self.audience.profile(decoded.api_key, device_id, user_id), who

    @staticmethod
    def _ids(decoded: DecodedRequest) -> tuple[str | None, str | None]:
        """(user id, device id) the request speaks for, as the why log names them."""
        body = decoded.body
        user_id = body.user_id if body else None
        if isinstance(body, DataRequest | TemplateRequest) and body.respond_with and body.respond_with.user_id:
            user_id = body.respond_with.user_id
        return user_id, (body.device_id if body else None)

    def _decide(
        self, sm: ScopeMessaging, decoded: DecodedRequest, channel: str, cid: str, served: bool, reasons: list[str]
    ) -> None:
        user_id, device_id = self._ids(decoded)
        sm.why.add(Decision(channel, cid, served, reasons, user_id, device_id))

    @staticmethod
    def _live(c: Any, now: float) -> bool:
        start, end = getattr(c, "start_time", None), getattr(c, "end_time", None)
        # start/end are sent to the SDK for IAMs (it enforces them); other channels are filtered here
        return (start is None or start <= now) and (end is None or end > now)

    # -- in-app messages ---------------------------------------------------------------------------

    def triggers(self, decoded: DecodedRequest, scope: str | None) -> list[dict[str, Any]]:
        sm, profile, who = self._context(decoded, scope)
        if sm is None:
            return []
        out = []
        served: list[InAppCampaign] = []
        for cid, c in sm.campaigns.items():
            if not isinstance(c, InAppCampaign):
                continue
            segment = sm.segments.get(c.segment or "")
            if not evaluate(segment, profile, sm.lookup):
                why = segment_reasons(segment, profile, sm.lookup) or [f"not in segment {c.segment!r}"]
                self._decide(sm, decoded, "in_app", cid, False, why)
                continue
            out.append(trigger_json(cid, c))
            served.append(c)
        self._iam_reasons(sm, decoded, scope, who, served)
        # in-app messages of the canvas steps this user reached (and only this user)
        self.runner.walk_user(sm, who, profile, (), enter_segments=True)
        now = self.clock.now(sm.name)
        for canvas, step, at in self.runner.reached(sm, who, "in_app_message"):
            if now < at + step.available_for:
                campaign = cv.iam_campaign(canvas, step)
                out.append(trigger_json(campaign.id, campaign))
        return out

    def _iam_reasons(
        self, sm: ScopeMessaging, decoded: DecodedRequest, scope: str | None, who: str, served: list[InAppCampaign]
    ) -> None:
        """What still decides whether a served trigger shows: its trigger, priority against rivals on the same
        trigger, the control group, its time window, re-eligibility (the SDK enforces these, the emulator explains)."""
        now = self.clock.now(sm.name)
        shown = self.engagement.ids(scope, "si", who)
        wires = [repr(c.trigger.wire()) for c in served]
        top: dict[str, InAppCampaign] = {}  # per trigger, the highest priority served (one pass, not pairs)
        for wire, c in zip(wires, served, strict=True):
            if wire not in top or c.priority > top[wire].priority:
                top[wire] = c
        for wire, c in zip(wires, served, strict=True):
            reasons = [trigger_text(c.trigger), f"priority {c.priority:g}"]
            best = top[wire]
            if best is not c and best.priority > c.priority:
                reasons.append(f"priority: campaign {best.id!r} (priority {best.priority:g}) has the same trigger and wins")
            if c.control:
                reasons.append("control group: the SDK logs iec and displays nothing")
            if c.start_time is not None and c.start_time > now:
                reasons.append(f"not started: start_time {c.start_time:.0f} is {c.start_time - now:.0f} s ahead (the SDK waits)")
            if c.end_time is not None and c.end_time <= now:
                reasons.append(f"ended: end_time {c.end_time:.0f} has passed (the SDK drops it)")
            if trigger_id(c.id) in shown:
                if c.re_eligibility < 0:
                    reasons.append("re-eligibility: already shown to this user and never re-eligible")
                else:
                    reasons.append(f"re-eligibility: already shown to this user; eligible again {c.re_eligibility} s after")
            if c.delay:
                reasons.append(f"displayed {c.delay} s after the trigger")
            self._decide(sm, decoded, "in_app", c.id, True, reasons)

    def _templated(self, sm: ScopeMessaging, wanted: str) -> InAppCampaign | None:
        for cid, c in sm.campaigns.items():
            if isinstance(c, InAppCampaign) and trigger_id(cid) == wanted:
                return c
        return None

    def prefetch(self, decoded: DecodedRequest, scope: str | None) -> Prefetched | None:
        """Fetch the Connected Content a `/template/` request needs. Runs outside the emulator's lock (a slow
        endpoint must not hold up other requests); the transports also run it off the event loop. The URLs of the
        template's `{% connected_content %}` tags are rendered first (they may hold Liquid), under the lock."""
        body = decoded.body
        if decoded.endpoint is not Endpoint.TEMPLATE or not isinstance(body, TemplateRequest):
            return None
        calls: list[tuple[str, str]] = []
        problems: list[Problem] = []
        with self.lock:
            sm = self.store.get(scope)
            campaign = self._templated(sm, body.template.trigger_id) if sm is not None else None
            url = campaign.connected_content_url if campaign is not None else None
            if campaign is not None and sm is not None:
                try:
                    calls = connected_urls(message_json(campaign, trigger_id(campaign.id)), self._data(decoded, scope, sm))
                except TemplateError as exc:  # rendered (and reported) as the template's error by `template`
                    problems.append(Problem(where="connected_content", message=f"campaign {campaign.id!r}: {exc}"))
        connected, failure = fetch_connected(url, self.allow) if url else ({}, None)
        fetched: dict[str, Fetched] = {}
        for markup, target in calls:
            if markup not in fetched:
                value, why = fetch_connected(target, self.allow)
                fetched[markup] = Fetched(target, value if why is None else None, why)
        return Prefetched(connected, failure, problems, fetched)

    def _data(
        self, decoded: DecodedRequest, scope: str | None, sm: ScopeMessaging, prefetched: Prefetched | None = None
    ) -> dict[str, Any]:
        """What the template of a `/template/` request sees: the user's profile, the trigger event's properties, the
        Connected Content fetched, the scope's clock."""
        body = decoded.body
        assert isinstance(body, TemplateRequest)
        _, profile, _ = self._context(decoded, scope)
        event = body.template.data or {}
        event_data = event.get("data") if isinstance(event.get("data"), dict) else {}
        props = event_data.get("p") or event_data.get("pr") or {}
        connected = prefetched.connected if prefetched is not None else {}
        fetched = prefetched.fetched if prefetched is not None else {}
        blocks = sm.blocks(profile["workspace"] if profile else None)
        props = props if isinstance(props, dict) else {}
        return template_data(profile, props, connected, fetched, self.clock.now(sm.name), blocks=blocks)

    def template(self, decoded: DecodedRequest, scope: str | None, prefetched: Prefetched | None) -> dict[str, Any]:
        body = decoded.body
        assert isinstance(body, TemplateRequest)
        sm, _, who = self._context(decoded, scope)
        if sm is None:
            return {}
        campaign = self._templated(sm, body.template.trigger_id)
        if campaign is None:
            return {}
        failure = None
        if campaign.connected_content_url:
            if prefetched is None:  # re-seeded between the prefetch and now: reported, never fetched under the lock
                failure = "Connected Content was not fetched before the answer (the campaign changed meanwhile)"
            else:
                failure = prefetched.failure
        reported = prefetched.problems if prefetched is not None else []
        failures = [failure] if failure else []
        failures += [f.failure for f in (prefetched.fetched.values() if prefetched is not None else ()) if f.failure]
        for why in failures:  # rendered as Braze does (nothing in its place), and reported on the request's journal entry
            reported.append(Problem(where="connected_content", message=why))
        failure_text = "; ".join(failures) or None
        message = message_json(campaign, trigger_id(campaign.id))
        try:
            render_message(message, self._data(decoded, scope, sm, prefetched))
        except TemplateError as exc:  # a render error or a bound: nothing of the message is sent, the cause is named
            reported.append(Problem(where="template", message=f"campaign {campaign.id!r}: {exc}"))
            sm.template_log.append(
                {
                    "campaign": campaign.id,
                    "user": who,
                    "aborted": True,
                    "render_error": str(exc),
                    "connected_content_error": failure_text,
                }
            )
            return {"error": "message aborted"}
        except Aborted as exc:
            sm.template_log.append(
                {
                    "campaign": campaign.id,
                    "user": who,
                    "aborted": True,
                    "abort_reason": exc.reason,
                    "connected_content_error": failure_text,
                }
            )
            # Braze documents no wire answer for an aborted message; a 2xx `error` is what the Web SDK treats as
            # "Server aborted in-app message display": nothing shown, it falls back to a lower-priority trigger
            return {"error": "message aborted"}
        sm.template_log.append(
            {
                "campaign": campaign.id,
                "user": who,
                "message": message.get("message"),
                "header": message.get("header"),
                "connected_content_error": failure_text,
                "aborted": False,
            }
        )
        return {"templated_message": {"type": "inapp", "data": message}}

    # -- Content Cards -----------------------------------------------------------------------------

    def content_cards(self, decoded: DecodedRequest, scope: str | None) -> dict[str, Any]:
        body = decoded.body
        assert isinstance(body, ContentCardsSyncRequest)
        now = time.time()
        if self._card_sync_limited(decoded, scope):
            limited = self.store.get(scope)
            for cid, c in limited.campaigns.items() if limited is not None else ():
                if isinstance(c, ContentCardCampaign):
                    why = ["this sync was refused by the Content Cards rate limit (the SDK keeps showing its cache)"]
                    self._decide(limited, decoded, "content_card", cid, False, why)
            return {}  # no `cards`: the SDK keeps (and shows) what it has cached (rate_limit.py)
        sm, profile, who = self._context(decoded, scope)
        if sm is None:
            return {"cards": [], "full_sync": True, "last_full_sync_at": int(now), "last_card_updated_at": int(now)}
        dismissed = self.engagement.ids(scope, "ccd", who)
        eligible: dict[str, dict[str, Any]] = {}
        for cid, c in sm.campaigns.items():
            if not isinstance(c, ContentCardCampaign):
                continue
            segment = sm.segments.get(c.segment or "")
            if not self._live(c, now):
                why = ["outside its start_time/end_time"]
            elif cid in dismissed:
                why = ["dismissed by this user (ccd)"]
            elif c.card.expires_at is not None and c.card.expires_at <= now:
                why = [f"expired at {c.card.expires_at:.0f}"]
            else:
                why = segment_reasons(segment, profile, sm.lookup) if not evaluate(segment, profile, sm.lookup) else []
                if not why:
                    eligible[cid] = card_json(c, sm.updated_at[cid])
            self._decide(sm, decoded, "content_card", cid, not why, why)
        # the cards of the canvas steps this user reached
        self.runner.walk_user(sm, who, profile, (), enter_segments=True)
        for canvas, step, at in self.runner.reached(sm, who, "content_card"):
            mid = step_message_id(canvas.id, step.id)
            assert step.card is not None
            if mid in dismissed or (step.card.expires_at is not None and step.card.expires_at <= now):
                continue
            card = step.card
            run = sm.runs.get((canvas.id, who))
            if run is not None and "{" in str(card.model_dump()):
                try:
                    card = Card.model_validate(render_strings(card.model_dump(), self.runner.step_data(sm, run), "card"))
                except (TemplateError, Aborted):
                    continue  # nothing of a message whose template fails is sent (as an IAM's)
            eligible[mid] = card_json(ContentCardCampaign(id=mid, card=card), at)
        # the cards API-triggered sends placed (api_trigger.py), already rendered for this user
        for card_id, (placed, _) in sm.api_cards.get(who, {}).items():
            expires = placed.get("ea", -1)
            if card_id not in dismissed and not (expires != -1 and expires <= now):
                eligible[card_id] = placed
        previous = sm.inboxes.get(who)
        sm.inboxes[who] = {cid: card["ca"] for cid, card in eligible.items()}
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

    def card_limit(self, sm: ScopeMessaging | None) -> CardRateLimit | None:
        """The Content Cards refresh limit in force for a scope: its own, else the emulator's setting."""
        if sm is not None and sm.card_rate_limit is not None:
            return sm.card_rate_limit or None
        settings = self.settings
        if settings.content_cards_rate_limit:
            return CardRateLimit(
                capacity=settings.content_cards_rate_limit_capacity, refill_seconds=settings.content_cards_rate_limit_refill_s
            )
        return None

    def _card_sync_limited(self, decoded: DecodedRequest, scope: str | None) -> bool:
        """Whether this device's token bucket is empty (only when the rate limit is on)."""
        if scope is None:
            return False
        limit = self.card_limit(self.store.get(scope))
        if limit is None:
            return False
        sm = self.store.of(scope)
        now = self.clock.now(scope)
        device_id = decoded.body.device_id if decoded.body else None
        bucket = sm.card_buckets.setdefault(device_id or "", TokenBucket.full(limit, now))
        if bucket.take(now):
            return False
        sm.card_syncs_limited += 1
        return True

    # -- feature flags and banners -----------------------------------------------------------------

    def feature_flags(self, decoded: DecodedRequest, scope: str | None) -> dict[str, Any]:
        sm, profile, _ = self._context(decoded, scope)
        if sm is None:
            return {"feature_flags": []}
        flags = []
        for cid, c in sm.campaigns.items():
            if isinstance(c, FeatureFlag):
                segment = sm.segments.get(c.segment or "")
                on = c.enabled and evaluate(segment, profile, sm.lookup)
                why = ["the flag is disabled"] if not c.enabled else segment_reasons(segment, profile, sm.lookup)
                self._decide(sm, decoded, "feature_flag", cid, on, [] if on else why)
                flag: dict[str, Any] = {
                    "id": cid,
                    "enabled": on,
                    "properties": {k: v.model_dump() for k, v in c.properties.items()},
                }
                if on:
                    flag["fts"] = tracking_string(cid)
                flags.append(flag)
        return {"feature_flags": flags}

    def banners(self, decoded: DecodedRequest, scope: str | None) -> dict[str, Any]:
        body = decoded.body
        assert isinstance(body, BannersSyncRequest)
        now = time.time()
        out: dict[str, Any] = {}
        sm, profile, who = self._context(decoded, scope)
        if sm is not None:
            dismissed = self.engagement.ids(scope, "bd", who) | {d.banner_id for d in body.pending_dismissals if d.banner_id}
            wanted = {p.id for p in body.placements}
            best: dict[str, Banner] = {}
            for cid, c in sm.campaigns.items():
                if not isinstance(c, Banner):
                    continue
                segment = sm.segments.get(c.segment or "")
                why: list[str] = []
                if c.placement not in wanted:
                    why = [f"placement {c.placement!r} was not requested (asked: {sorted(wanted)})"]
                elif cid in dismissed:
                    why = ["dismissed by this user"]
                elif c.expires_at is not None and c.expires_at <= now:
                    why = [f"expired at {c.expires_at:.0f}"]
                elif not evaluate(segment, profile, sm.lookup):
                    why = segment_reasons(segment, profile, sm.lookup)
                if why:
                    self._decide(sm, decoded, "banner", cid, False, why)
                    continue
                if c.placement not in best or c.priority > best[c.placement].priority:
                    best[c.placement] = c
            for cid, c in sm.campaigns.items():
                if isinstance(c, Banner) and c.placement in best and c.placement in wanted and cid not in dismissed:
                    winner = best[c.placement]
                    if winner is c:
                        self._decide(
                            sm, decoded, "banner", cid, True, ["control group: nothing is displayed"] if c.control else []
                        )
                    elif (c.expires_at is None or c.expires_at > now) and evaluate(
                        sm.segments.get(c.segment or ""), profile, sm.lookup
                    ):
                        why = [f"priority: banner {winner.id!r} (priority {winner.priority:g}) wins placement {c.placement!r}"]
                        self._decide(sm, decoded, "banner", cid, False, why)
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
