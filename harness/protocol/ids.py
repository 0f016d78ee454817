"""The ids the server hands the SDK and the SDK echoes back in engagement events.

`trigger_id` (in-app messages: si/sc/sbc/iec), `tracking_string` (feature flags: ffi) and the message id of a
Canvas step. They live with the protocol because both sides need them: the emulator builds them, tests and
devices match on them.
"""

from __future__ import annotations

import base64


def trigger_id(campaign_id: str) -> str:
    """Braze's shape: base64 id, then `_$_` and the campaign/variant tracking (echoed in si/sc/sbc/iec)."""
    encoded = base64.b64encode(campaign_id.encode()).decode()
    return f"{encoded}_$_cc={campaign_id}&mv={campaign_id}-v1&pi=cmp"


def tracking_string(campaign_id: str) -> str:
    """A feature flag's `fts`, echoed in its impression (`ffi`)."""
    return base64.b64encode(f"ff:{campaign_id}".encode()).decode()


def step_message_id(canvas_id: str, step_id: str) -> str:
    """The id of what a Canvas message step sends: the IAM's campaign id (its trigger id derives from it) or the card id."""
    return f"{canvas_id}.{step_id}"
