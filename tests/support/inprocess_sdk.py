"""Just enough of an SDK to talk to an in-process emulator: /data/ requests, logins, content card syncs."""

from __future__ import annotations

import json
import time
from typing import Any

from braze_harness.emulator.app import Emulator

BASE = "http://127.0.0.1/api/v3/"


class Sdk:
    """Just enough of an SDK to talk to the emulator in process."""

    def __init__(self, emu: Emulator, api_key: str, device_id: str = "dev-1") -> None:
        self.emu, self.api_key, self.device_id = emu, api_key, device_id
        self.user: str | None = None

    def post(self, endpoint: str, **fields: Any) -> dict[str, Any]:
        body = {"api_key": self.api_key, "device_id": self.device_id, "time": int(time.time()), "sdk_version": "6.13.0"}
        if self.user:
            body["user_id"] = self.user
        body.update(fields)
        answer = self.emu.handle("POST", BASE + endpoint, {"x-braze-api-key": self.api_key}, json.dumps(body).encode())
        assert answer.status == 200, answer.body
        return answer.body

    def event(self, name: str, data: Any = None) -> dict[str, Any]:
        ev: dict[str, Any] = {"name": name, "time": time.time(), "data": data or {}, "session_id": "s1"}
        if self.user:
            ev["user_id"] = self.user
        return ev

    def login(self, user: str, *events: dict[str, Any], attributes: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        self.user = user
        rw = {"triggers": True, "user_id": user, "config": {"config_time": 0}}
        answer = self.post("data/", respond_with=rw, events=[self.event("ss"), *events], attributes=attributes or [])
        return answer["triggers"]

    def send(self, *events: dict[str, Any]) -> None:
        self.post("data/", events=list(events))

    def cards(self, last_full_sync_at: float = 0, last_card_updated_at: float = 0) -> dict[str, Any]:
        return self.post("content_cards/sync", last_full_sync_at=last_full_sync_at, last_card_updated_at=last_card_updated_at)
