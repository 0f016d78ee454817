"""Push tokens: one per (app, device), held by at most one profile of the workspace
(docs/server-behaviour.md, push-registration and push-token-moves).

"Last logged-in user gets the push": registering a token, or the device switching users, moves the
(app, device) token to that profile; a null token or push/unregister removes it.
"""

from __future__ import annotations

from typing import Any

from braze_harness.emulator.state.profiles import Profile, PushToken
from braze_harness.emulator.state.workspaces import Workspace

PUSH_KEY_FIELDS = ("custom_push_public_key", "custom_push_user_auth", "custom_push_vapid_public_key")


def holder(ws: Workspace, app: str, device_id: str) -> Profile | None:
    return ws.profile(ws.token_holder.get((app, device_id)))


def register(
    ws: Workspace, profile: Profile, app: str, device_id: str, token: str, platform: str, *, enabled: bool, keys: dict[str, Any]
) -> None:
    previous = holder(ws, app, device_id)
    if previous is not None:
        del previous.push_tokens[(app, device_id)]
    profile.push_tokens[(app, device_id)] = PushToken(
        app=app, device_id=device_id, token=token, platform=platform, notifications_enabled=enabled, keys=dict(keys)
    )
    ws.token_holder[(app, device_id)] = profile.braze_id


def move(ws: Workspace, app: str, device_id: str, to: Profile) -> bool:
    """The device now speaks for `to`: its token for this app follows (docs/server-behaviour.md, push-token-moves). True if one
    moved."""
    previous = holder(ws, app, device_id)
    if previous is None or previous is to:
        return False
    to.push_tokens[(app, device_id)] = previous.push_tokens.pop((app, device_id))
    ws.token_holder[(app, device_id)] = to.braze_id
    return True


def remove_device(ws: Workspace, app: str, device_id: str) -> bool:
    previous = holder(ws, app, device_id)
    if previous is None:
        return False
    del previous.push_tokens[(app, device_id)]
    del ws.token_holder[(app, device_id)]
    return True


def note_device(ws: Workspace, app: str, device_id: str, device: dict[str, Any] | None) -> bool:
    """The device object reported its push permission (`remote_notification_enabled`, iOS `ios_push_auth`):
    the (app, device) token's foreground flag follows (an OS opt-out marks the device foreground-push-disabled at
    the next session; the token itself stays: docs/server-behaviour.md, push-subscription). True if a flag changed."""
    if not device or ("remote_notification_enabled" not in device and "ios_push_auth" not in device):
        return False
    profile = holder(ws, app, device_id)
    token = profile.push_tokens.get((app, device_id)) if profile is not None else None
    if token is None:
        return False
    enabled = device.get("remote_notification_enabled", token.notifications_enabled)
    if device.get("ios_push_auth") == "denied":
        enabled = False
    elif device.get("ios_push_auth") in ("authorized", "provisional") and "remote_notification_enabled" not in device:
        enabled = True
    changed = token.notifications_enabled != bool(enabled)
    token.notifications_enabled = bool(enabled)
    return changed


def remove_value(ws: Workspace, token: str) -> int:
    removed = 0
    for profile in ws.profiles.values():
        for key in [k for k, t in profile.push_tokens.items() if t.token == token]:
            del profile.push_tokens[key]
            ws.token_holder.pop(key, None)
            removed += 1
    return removed
