"""The JSON the SDK receives for each kind of message: in-app message triggers, in-app message data, Content Cards.

Shapes as the Web SDK and the mobile SDKs read them (triggers with `trigger_condition`, cards with the short keys
`tp`, `ca`, `ea`, `db`, ...); colours are Braze's defaults as ARGB integers.
"""

from __future__ import annotations

from typing import Any

from braze_harness.emulator.messaging.models import CARD_TYPES, ContentCardCampaign, InAppCampaign
from braze_harness.protocol.ids import trigger_id


def trigger_json(cid: str, c: InAppCampaign) -> dict[str, Any]:
    tid = trigger_id(cid)
    if c.templated and not c.control:
        data: dict[str, Any] = {"trigger_id": tid, "prefetch": False}
    else:
        data = message_json(c, tid)
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


def message_json(c: InAppCampaign, tid: str) -> dict[str, Any]:
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


def card_json(c: ContentCardCampaign, updated: float) -> dict[str, Any]:
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
