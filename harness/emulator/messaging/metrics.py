"""Engagement metrics per campaign and per canvas step, read from the engagement ledger (never the journal).

Per campaign: totals and uniques (distinct users) by engagement code, counts by user, and for push campaigns
the deliveries `sent`. A canvas gets the same per canvas and per step. What matches nothing seeded is counted
as `unattributed`.
"""

from __future__ import annotations

from typing import Any

from braze_harness.emulator.messaging.models import DefinitionError
from braze_harness.emulator.messaging.store import ScopeMessaging
from braze_harness.emulator.push.service import PushService
from braze_harness.emulator.state.engagement import Engagement
from braze_harness.protocol.push import campaign_from_tracking


def _blank(**head: Any) -> dict[str, Any]:
    return {**head, "totals": {}, "uniques": {}, "by_user": {}}


def _tally(m: dict[str, Any], code: str, user: str, times: int, who: set[str]) -> None:
    m["totals"][code] = m["totals"].get(code, 0) + times
    per_user = m["by_user"].setdefault(user, {})
    per_user[code] = per_user.get(code, 0) + times
    who.add(user)


def metrics(
    sm: ScopeMessaging, engagement: Engagement, push: PushService, scope: str, campaign_id: str | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = {cid: _blank(campaign=cid, kind=c.kind) for cid, c in sm.campaigns.items()}
    canvases: dict[str, Any] = {cid: {**_blank(canvas=cid, kind="canvas"), "steps": {}} for cid in sm.canvases}
    unattributed: dict[str, int] = {}
    users: dict[tuple[str, str], set[str]] = {}
    canvas_users: dict[tuple[str, str, str], set[str]] = {}  # (canvas, step or "", code) -> users
    pushed = push.campaign_ids(scope)  # push sends: opens are `pc {cid}`
    for cid in pushed - set(result):
        result[cid] = _blank(campaign=cid, kind="push")
    for cid in sm.api_campaigns - set(result):  # cards sent by /messages/send under a campaign_id
        result[cid] = _blank(campaign=cid, kind="api")
    for cid in pushed:
        result[cid]["sent"] = push.sent(scope, cid)
    for code, ident, user, times in engagement.counts(scope):
        cid = sm.campaign_of(code, ident)
        if cid is None and code == "pc":  # a push campaign; on the web a tracking string
            cid = ident if ident in pushed else campaign_from_tracking(ident)
            cid = cid if cid in pushed else None
        step = sm.canvas_step_of(code, ident) if cid is None else (sm.canvas_step_of(code, cid) if code == "pc" else None)
        if step is not None:
            canvas = canvases[step[0]]
            _tally(canvas, code, user, times, canvas_users.setdefault((step[0], "", code), set()))
            per_step = canvas["steps"].setdefault(step[1], _blank())
            _tally(per_step, code, user, times, canvas_users.setdefault((step[0], step[1], code), set()))
            if cid is None:
                continue
            # else also the push campaign `<canvas>.<step>` it was sent as (its `sent` is counted there)
        if cid is None:
            unattributed[code] = unattributed.get(code, 0) + times
            continue
        _tally(result[cid], code, user, times, users.setdefault((cid, code), set()))
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
