"""What each scope's test seeded (segments, campaigns, canvases) and what messaging keeps per scope while serving
(canvas progress, Content Card inboxes, `/template/` renders, the card rate limit's buckets).

Definitions are validated first and stored only if all are valid, so a mistake leaves nothing half-seeded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from braze_harness.emulator.messaging import canvases as cv
from braze_harness.emulator.messaging.canvas_models import Canvas, MessageStep, parse_canvas
from braze_harness.emulator.messaging.content_blocks import WorkspaceBlocks
from braze_harness.emulator.messaging.models import (
    ApiTriggeredCampaign,
    Banner,
    ContentCardCampaign,
    DefinitionError,
    FeatureFlag,
    InAppCampaign,
    Segment,
    parse_campaign,
    parse_segment,
)
from braze_harness.emulator.messaging.rate_limit import CardRateLimit, TokenBucket
from braze_harness.emulator.messaging.templating import TemplateError, check_message, check_texts
from braze_harness.emulator.messaging.why import WhyLog
from braze_harness.emulator.push.service import PushSendError, parse_messages
from braze_harness.protocol.ids import step_message_id, trigger_id

AnyCampaign = InAppCampaign | ContentCardCampaign | FeatureFlag | Banner | ApiTriggeredCampaign
API_CARD_SEP = "~"  # an API-triggered card's id: `<campaign id>~<dispatch id>` (one card per send)
IAM_CODES = frozenset({"si", "sc", "sbc", "iec"})  # engagement codes whose id is a trigger id


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
    card_rate_limit: CardRateLimit | bool | None = None  # per-scope override (False: off) of the settings' limit
    card_buckets: dict[str, TokenBucket] = field(default_factory=dict)  # device id -> bucket
    card_syncs_limited: int = 0
    # API-triggered sends (api_trigger.py): user key -> card id -> (card JSON, when placed); (campaign, user) -> last
    api_cards: dict[str, dict[str, tuple[dict[str, Any], float]]] = field(default_factory=dict)
    api_sent: dict[tuple[str, str], float] = field(default_factory=dict)
    api_campaigns: set[str] = field(default_factory=set)  # campaign ids `/messages/send` cards were tracked under
    content_blocks: dict[str, WorkspaceBlocks] = field(default_factory=dict)  # workspace -> its blocks (REST)
    why: WhyLog = field(default_factory=WhyLog)  # why each campaign was or wasn't served, per request (why.py)

    def blocks(self, workspace: str | None) -> WorkspaceBlocks | None:
        return self.content_blocks.get(workspace or "")

    def lookup(self, segment_id: str) -> Segment | None:
        return self.segments.get(segment_id)

    def campaign_of(self, code: str, ident: str) -> str | None:
        """Which campaign an engagement id (trigger id, card id, flag id, banner id) belongs to."""
        if code in IAM_CODES:
            for cid, c in self.campaigns.items():
                if isinstance(c, InAppCampaign) and trigger_id(cid) == ident:
                    return cid
            return None
        if ident in self.campaigns:
            return ident
        base = ident.split(API_CARD_SEP, 1)[0]  # an API-triggered send's card: `<campaign>~<dispatch>`
        return base if isinstance(self.campaigns.get(base), ApiTriggeredCampaign) or base in self.api_campaigns else None

    def canvas_step_of(self, code: str, ident: str) -> tuple[str, str] | None:
        """Which canvas and step an engagement id belongs to: its trigger id (IAM steps) or `<canvas>.<step>` (cards)."""
        for canvas in self.canvases.values():
            for step in canvas.steps:
                if isinstance(step, MessageStep):
                    mid = step_message_id(canvas.id, step.id)
                    if ident == (trigger_id(mid) if code in IAM_CODES else mid):
                        return canvas.id, step.id
        return None


class MessagingStore:
    """Per-scope messaging data. Callers hold the emulator's lock while they read or change a scope."""

    def __init__(self) -> None:
        self._scopes: dict[str, ScopeMessaging] = {}

    def of(self, scope: str) -> ScopeMessaging:
        return self._scopes.setdefault(scope, ScopeMessaging(name=scope))

    def peek(self, scope: str) -> ScopeMessaging:
        """A scope's data for reading: an empty one, not stored, when nothing was kept for it (a read adds nothing)."""
        return self._scopes.get(scope) or ScopeMessaging(name=scope)

    def get(self, scope: str | None) -> ScopeMessaging | None:
        return self._scopes.get(scope or "")

    def scopes(self) -> list[ScopeMessaging]:
        return list(self._scopes.values())

    def drop(self, scope: str) -> None:
        self._scopes.pop(scope, None)

    def seed(self, scope: str, *, segments: Any = (), campaigns: Any = (), canvases: Any = ()) -> dict[str, list[str]]:
        """Validate everything first (nothing is stored if one definition is wrong), then store."""
        parsed_segments = [parse_segment(s, f"segments[{i}]") for i, s in enumerate(segments)]
        parsed = [parse_campaign(c, f"campaigns[{i}]") for i, c in enumerate(campaigns)]
        parsed_canvases = [parse_canvas(c, f"canvases[{i}]") for i, c in enumerate(canvases)]
        sm = self.of(scope)
        known = set(sm.segments) | {s.id for s in parsed_segments}
        for i, c in enumerate(parsed):
            if isinstance(c, InAppCampaign) and c.templated:
                _check_template(c, f"campaigns[{i}].message")
            if isinstance(c, ApiTriggeredCampaign):
                check_api_campaign(c, f"campaigns[{i}]")
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
        sm = self.of(scope)
        sm.updated_at.pop(campaign_id, None)
        if sm.canvases.pop(campaign_id, None) is not None:
            for key in [k for k in sm.runs if k[0] == campaign_id]:
                del sm.runs[key]
            return True
        return sm.campaigns.pop(campaign_id, None) is not None


def _check_template(c: InAppCampaign, where: str) -> None:
    """A templated message's Liquid must parse as Braze's would (templating.py): else a DefinitionError naming the
    field, line and column, and nothing is seeded."""
    m = c.message
    texts = {
        "message": m.html if m.type == "HTML" else m.message,
        "header": m.header,
        "btns": [{"text": b.text} for b in m.buttons],
    }
    try:
        check_message(texts)
    except TemplateError as exc:
        field = "html" if m.type == "HTML" and exc.field == "message" else exc.field
        raise DefinitionError(f"{where}.{field}: {exc}" if field else f"{where}: {exc}") from None


def check_api_campaign(c: ApiTriggeredCampaign, where: str) -> None:
    """An API-triggered campaign's push must be Braze REST message objects and every text of it and of its card
    valid Liquid; else a DefinitionError naming the field."""
    if c.push is not None:
        try:
            parse_messages(c.push, f"{where}.push")
        except PushSendError as exc:
            raise DefinitionError(f"{exc.field}: {exc}") from None
    texts = {"push": c.push or {}, "card": c.card.model_dump() if c.card else {}}
    try:
        check_texts(texts)
    except TemplateError as exc:
        raise DefinitionError(f"{where}.{exc.field}: {exc}") from None
