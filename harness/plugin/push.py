"""`braze.push`: send pushes from the emulator to this test's users, read device outboxes and push tokens.

p = braze.push
result = p.send(users="ada-3f9a1c", title="Hi", body="Back in stock", campaign_id="restock", uri="myapp://deal")
p.outbox(braze_app)                        # deliveries waiting for the app's device (payloads per platform)
p.tokens("ada-3f9a1c")                     # the profile's push_tokens
p.expect_token("ada-3f9a1c", device_id=braze_app.device_id).within()   # a profile expectation (expect DSL)
p.expect_subscription("ada-3f9a1c", "opted_in").within()
p.wait_opens("restock", 1)                 # `pc` counted on the campaign (engagement metrics)
p.rest_send({"external_user_ids": [...], "messages": {"android_push": {...}}})   # Braze REST /messages/send
p.apns_file(delivery, tmp_path, bundle_id="com.example.app")   # for `xcrun simctl push booted <file>`
p.simctl_push(delivery, tmp_path, bundle_id="com.example.app")["argv"]   # the file + the `xcrun simctl push` argv
p.adb_broadcast(delivery, component="com.example.app/.debug.PushReceiver")   # `am broadcast` argv (Android emulator)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from braze_harness.devices.tools.push_delivery import adb_broadcast, simctl_push, write_apns_file
from braze_harness.expect.profile import ProfileExpectation
from braze_harness.plugin.context import ScopeContext

__all__ = ["PushHandle", "TokenMatch"]


class TokenMatch:
    """Predicate on a profile's `push_tokens`: one token matches all the given fields (None = any).
    `present=False`: no token matches. Its repr is what a failing expectation prints."""

    def __init__(self, *, present: bool = True, **fields: Any) -> None:
        self.present = present
        self.fields = {k: v for k, v in fields.items() if v is not None}

    def __call__(self, tokens: list[dict[str, Any]]) -> bool:
        found = any(all(t.get(k) == v for k, v in self.fields.items()) for t in tokens or [])
        return found if self.present else not found

    def __repr__(self) -> str:
        what = ", ".join(f"{k}={v!r}" for k, v in self.fields.items()) or "any"
        return f"{'a' if self.present else 'no'} push token with {what}"


def _device_id(device: Any) -> str:
    device_id = device if isinstance(device, str) else getattr(device, "device_id", None)
    if not device_id:
        raise ValueError(f"not a device (an app adapter or a device id): {device!r}")
    return device_id


class PushHandle:
    def __init__(self, context: ScopeContext) -> None:
        self.context = context
        self.client = context.client
        self.scope = context.scope

    # -- sending ----------------------------------------------------------------------------------

    def send(
        self,
        users: str | list[str] | None = None,
        *,
        segment: str | None = None,
        everyone: bool = False,
        title: str | None = None,
        body: str | None = None,
        campaign_id: str | None = None,
        uri: str | None = None,
        extra: dict[str, Any] | None = None,
        image_url: str | None = None,
        custom_id: int | None = None,
        platforms: list[str] | None = None,
        workspace: str | None = None,
        messages: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One push to `users` (external ids), a seeded `segment`, or `everyone` in this test's scope; one delivery
        per push token held. `messages`: REST-shaped per-platform objects instead of the common fields.
        Returns `{"dispatch_id", "campaign_id", "deliveries": [...], "skipped": [...]}`."""
        payload: dict[str, Any] = {"broadcast": everyone}
        if users is not None:
            payload["external_ids"] = [users] if isinstance(users, str) else list(users)
        if segment is not None:
            payload["segment_id"] = segment
        if campaign_id is not None:
            payload["campaign_id"] = campaign_id
        if workspace is not None:
            payload["workspace"] = workspace
        if messages is not None:
            payload["messages"] = messages
        else:
            message = {
                "title": title,
                "body": body,
                "uri": uri,
                "extra": extra,
                "image_url": image_url,
                "custom_id": custom_id,
            }
            payload["message"] = {k: v for k, v in message.items() if v is not None}
            if platforms is not None:
                payload["platforms"] = platforms
        return self.client.send_push(self.scope, payload)

    def rest_send(self, body: dict[str, Any], *, rest_key: str | None = None) -> httpx.Response:
        """`POST /messages/send` as a REST client would (Bearer = a REST API key, default `braze.rest_key()`).
        Returns the raw response: status and Braze-shaped JSON are for the test to check."""
        return self.client.rest_response("/messages/send", body, rest_key or self.context.rest_key())

    # -- reading ----------------------------------------------------------------------------------

    def outbox(self, device: Any, *, drain: bool = False) -> list[dict[str, Any]]:
        """Deliveries waiting for a device (an app adapter or a device id); `drain=True` takes them out."""
        return self.client.push_outbox(self.scope, _device_id(device), drain=drain)

    def dispatch(self, dispatch_id: str) -> dict[str, Any]:
        return self.client.push_dispatch(self.scope, dispatch_id)

    def tokens(self, user: str | None = None, *, device_id: str | None = None) -> list[dict[str, Any]]:
        """The `push_tokens` of the user's profile (or of the profiles seen on `device_id`)."""
        profiles = self.context.expect.source.profiles(external_id=user, device_id=device_id)
        return [t for p in profiles for t in p["push_tokens"]]

    # -- expectations (profile expectations of the expect DSL) ---------------------------------------

    def expect_token(
        self,
        user: str | None = None,
        *,
        device_id: str | None = None,
        enabled: bool | None = True,
        token: str | None = None,
        present: bool = True,
    ) -> ProfileExpectation:
        """The profile holds (or, `present=False`, no longer holds) a push token for `device_id` whose foreground
        flag (`notifications_enabled`) is `enabled` (None: any; so `present=False, enabled=None` = no token at all).
        Finish with `.within()`."""
        match = TokenMatch(present=present, device_id=device_id, token=token, notifications_enabled=enabled)
        return self._profile(user, device_id).has(push_tokens=match)

    def expect_subscription(self, user: str | None, state: str, *, device_id: str | None = None) -> ProfileExpectation:
        """The profile's push subscription state (`opted_in`, `subscribed`, `unsubscribed`)."""
        return self._profile(user, device_id).has(push_subscribe=state)

    def _profile(self, user: str | None, device_id: str | None) -> ProfileExpectation:
        if user is None and device_id is None:
            raise ValueError("give the user (external id) or device_id whose profile to check")
        return self.context.expect.profile(user, device_id=None if user else device_id)

    def wait_opens(self, campaign_id: str, opens: int, *, within: float | None = None) -> dict[str, Any]:
        """Wait until the push campaign's `pc` total is `opens` (engagement metrics, read from the journal;
        `within`: default the scope's timeout): `braze.expect.metrics(campaign_id).totals(pc=opens).within()`."""
        return self.context.expect.metrics(campaign_id).totals(pc=opens).within(within)

    # -- to real simulators / emulators ------------------------------------------------------------

    @staticmethod
    def apns_file(delivery: dict[str, Any], directory: str | Path, *, bundle_id: str) -> Path:
        """Write the delivery as an `.apns` file (≤ 4096 bytes) for `xcrun simctl push <udid|booted> <file>`."""
        return write_apns_file(delivery, directory, bundle_id=bundle_id)

    @staticmethod
    def simctl_push(delivery: dict[str, Any], directory: str | Path, *, bundle_id: str, udid: str = "booted") -> dict[str, Any]:
        """The `.apns` file and the `xcrun simctl push` argv for an iOS simulator: `{"file", "argv"}`."""
        return simctl_push(delivery, directory, bundle_id=bundle_id, udid=udid)

    @staticmethod
    def adb_broadcast(
        delivery: dict[str, Any], *, component: str | None = None, package: str | None = None, serial: str | None = None
    ) -> dict[str, Any]:
        """The `adb shell am broadcast` that hands this FCM data message to the app's debug push receiver on an
        Android emulator (`component` like `com.example.app/.debug.PushReceiver`, or the app `package`)."""
        return adb_broadcast(delivery, component=component, package=package, serial=serial)
