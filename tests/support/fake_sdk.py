"""A fake SDK install: builds requests shaped like the Web SDK's and decodes them with the real decoder.

For driving `EmulatorState` without HTTP (unit tests, scripted scenarios). Bodies follow the Web SDK's
(docs/web-sdk-wire.md, request-envelope, data-request, event-codes, sessions-and-changeuser and push). `request()`
builds without applying, so tests can deliver out of order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from braze_harness.emulator.state.store import EmulatorState
from braze_harness.protocol.decode import DecodedRequest, Problem, decode

_SAME: Any = object()  # "use the device's current user / session"

WEB_DEVICE: dict[str, Any] = {
    "browser": "Chrome",
    "browser_version": "156.0.0.0",
    "os_version": "Linux",
    "locale": "en-us",
    "time_zone": "UTC",
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.0.0",
}


class FakeSdk:
    def __init__(
        self,
        state: EmulatorState,
        *,
        api_key: str = "test-api-key",
        device_id: str | None = None,
        clock: float = 1_795_000_000.0,
        sdk_version: str = "6.13.0",
        device: dict[str, Any] | None = None,
    ) -> None:
        self.state = state
        self.api_key = api_key
        self.device_id = device_id or str(uuid.uuid4())
        self.clock = clock
        self.sdk_version = sdk_version
        self.user: str | None = None
        self.session_id: str | None = None
        self.session_start: float | None = None
        self._device: dict[str, Any] | None = dict(WEB_DEVICE if device is None else device)  # sent once, then as diffs

    def tick(self, seconds: float = 1.0) -> float:
        self.clock += seconds
        return self.clock

    # --- building ---------------------------------------------------------------------------------

    def event(
        self, name: str, data: Any = None, *, user: Any = _SAME, session: Any = _SAME, time: float | None = None
    ) -> dict[str, Any]:
        user = self.user if user is _SAME else user
        session = self.session_id if session is _SAME else session
        event: dict[str, Any] = {
            "name": name,
            "time": self.tick(0.001) if time is None else time,
            "data": {} if data is None else data,
        }
        if session is not None:
            event["session_id"] = session
        if user is not None:
            event["user_id"] = user
        return event

    def attributes(self, *, user: Any = _SAME, **fields: Any) -> dict[str, Any]:
        user = self.user if user is _SAME else user
        return {**({"user_id": user} if user is not None else {}), **fields}

    def request(
        self,
        events: Iterable[dict[str, Any]] = (),
        attributes: Iterable[dict[str, Any]] = (),
        *,
        device: dict[str, Any] | None = None,
    ) -> DecodedRequest:
        body: dict[str, Any] = {
            "respond_with": {"config": {"config_time": 0}, **({"user_id": self.user} if self.user else {})},
            "api_key": self.api_key,
            "time": int(self.clock),
            "sdk_version": self.sdk_version,
            "device_id": self.device_id,
        }
        events, attributes = list(events), list(attributes)
        if events:
            body["events"] = events
        if attributes:
            body["attributes"] = attributes
        if device is not None or self._device is not None:
            body["device"] = device if device is not None else self._device
            self._device = None
        return decode("POST", "/api/v3/data/", {"X-Braze-Api-Key": self.api_key, "Content-Type": "application/json"}, body)

    def unregister_request(self, push_token: str | None) -> DecodedRequest:
        body: dict[str, Any] = {"api_key": self.api_key, "time": int(self.clock), "sdk_version": self.sdk_version}
        body["device_id"] = self.device_id
        if self.user:
            body["user_id"] = self.user
        if push_token is not None:
            body["push_token"] = push_token
        return decode("POST", "/api/v3/push/unregister", {"X-Braze-Api-Key": self.api_key}, body)

    # --- sending ----------------------------------------------------------------------------------

    def apply(self, decoded: DecodedRequest) -> list[Problem]:
        return self.state.apply(decoded, received_at=self.clock)

    def send(
        self,
        events: Iterable[dict[str, Any]] = (),
        attributes: Iterable[dict[str, Any]] = (),
        *,
        device: dict[str, Any] | None = None,
    ) -> list[Problem]:
        return self.apply(self.request(events, attributes, device=device))

    def open_session(self) -> list[Problem]:
        self.session_id = str(uuid.uuid4())
        self.session_start = self.tick()
        return self.send([self.event("ss", {}, time=self.session_start)])

    def end_session_event(self) -> dict[str, Any]:
        """The `se` of the current session (web: queued lazily, sent with the next request:
        docs/web-sdk-wire.md, sessions-and-changeuser)."""
        assert self.session_id is not None and self.session_start is not None
        end = self.tick()
        return self.event("se", {"d": round(end - self.session_start, 3)}, time=end)

    def change_user(self, user: str) -> list[Problem]:
        """changeUser as the Web SDK sends it: the old session's `se` (with the *old* user_id, none when
        anonymous) and the new user's `ss`, in one request. Same id: nothing is sent."""
        if user == self.user:
            return []
        events = [self.end_session_event()] if self.session_id else []
        self.user = user
        self.session_id = str(uuid.uuid4())
        self.session_start = self.tick()
        events.append(self.event("ss", {}, time=self.session_start))
        return self.send(events)

    def log_event(self, name: str, properties: dict[str, Any] | None = None) -> list[Problem]:
        return self.send([self.event("ce", {"n": name, "p": properties or {}})])

    def log_purchase(
        self,
        product_id: str,
        price: float | str,
        currency: str = "USD",
        quantity: int = 1,
        properties: dict[str, Any] | None = None,
    ) -> list[Problem]:
        shown = f"{price:.2f}" if isinstance(price, float | int) else price  # the Web SDK sends a 2-decimal string
        data = {"pid": product_id, "c": currency, "p": shown, "q": quantity, "pr": properties or {}}
        return self.send([self.event("p", data)])

    def set_attributes(self, **fields: Any) -> list[Problem]:
        return self.send(attributes=[self.attributes(**fields)])

    def unregister_push(self, push_token: str | None) -> list[Problem]:
        return self.apply(self.unregister_request(push_token))
