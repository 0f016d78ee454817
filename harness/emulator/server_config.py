"""The `config` object of /data/ answers: the handshake that turns SDK features on."""

from __future__ import annotations

import threading
import time
from typing import Any

from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.protocol.push import VAPID_PUBLIC_KEY


class ServerConfig:
    """Sent whenever the SDK's `config_time` is older than ours; changing a setting bumps `time`."""

    def __init__(self, settings: EmulatorSettings) -> None:
        self.settings = settings
        self._time = int(time.time())
        self._lock = threading.Lock()

    @property
    def time(self) -> int:
        return self._time

    def bump(self) -> None:
        with self._lock:
            self._time = max(int(time.time()), self._time + 1)

    def for_request(self, config_time: float | None) -> dict[str, Any] | None:
        if config_time is not None and config_time >= self._time:
            return None
        return self.build()

    def build(self) -> dict[str, Any]:
        s = self.settings
        config: dict[str, Any] = {
            "time": self._time,
            # BrazeKit (Swift 18) cannot decode a config without these three ("Unable to decode either 'Error' or
            # 'DataResponse'": docs/mobile-wire.md, server-config); the emulator blocks nothing, so they are empty
            "events_blacklist": [],
            "attributes_blacklist": [],
            "purchases_blacklist": [],
            "content_cards": {"enabled": s.content_cards},
            "feature_flags": {"enabled": s.feature_flags, "refresh_rate_limit": s.feature_flags_refresh_rate_limit},
            "banners": {"enabled": s.banners, "max_placements": s.banners_max_placements if s.banners else 0},
            "global_request_rate_limit": {"enabled": s.client_rate_limit},
            "dust": {"enabled": False},
            "conversational_chat": {"enabled": False},
            "vapid_public_key": VAPID_PUBLIC_KEY,  # web push: the SDK subscribes only once it has it (docs/web-sdk-wire.md, push)
        }
        backoff = s.request_backoff
        if backoff is not None:
            # = backoff.model_dump(), without the keyword plumbing of the Python wrapper (this is built per request)
            config["request_backoff"] = type(backoff).__pydantic_serializer__.to_python(backoff)
        if s.minimum_session_timeout is not None:
            config["minimum_session_timeout"] = s.minimum_session_timeout
        if s.messaging_session_timeout is not None:
            config["messaging_session_timeout"] = s.messaging_session_timeout
        return config
