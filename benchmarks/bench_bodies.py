"""Realistic Web SDK `/api/v3/data/` bodies for the load benchmarks: 10 events each (session start, custom events
with properties, a purchase, increments), one body in four a device's first request, users from a pool. `UID` is
replaced per request (by `braze_data.lua`, or by the caller) so every request is a new device and session."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from typing import Any

API_KEY = "bench-web-api-key"
UID = "@@UID@@"  # replaced per request by braze_data.lua (12 hex digits)

EVENT_NAMES = [
    "played_song",
    "viewed_product",
    "added_to_cart",
    "search",
    "opened_article",
    "shared",
    "rated_item",
    "started_trial",
    "completed_level",
    "watched_video",
    "clicked_banner",
    "signup_step",
]
PRODUCTS = ["sku-1", "sku-2", "sku-basic", "sku-pro", "gift-card"]
COUNTERS = ["logins", "songs_played", "cart_adds", "levels"]
GENRES = ["jazz", "rock", "pop", "classical", "folk"]
DEVICE = {
    "browser": "Unknown Browser",
    "browser_version": "Unknown Version",
    "os_version": "Linux",
    "locale": "en-us",
    "time_zone": "UTC",
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
}
# 10 events per request: 1 session start, 6 custom events with properties, 1 purchase, 2 increments
EVENT_MIX = ["ss", "ce", "ce", "p", "ce", "inc", "ce", "ce", "inc", "ce"]


def make_bodies(count: int, users: int, config_time: int, seed: int = 7, api_keys: Sequence[str] = (API_KEY,)) -> list[str]:
    """`count` /data/ bodies shaped like the Web SDK's (recording d_events.json;
    docs/web-sdk-wire.md, request-envelope, data-request and event-codes).

    Device id and session id carry the UID placeholder, so every request is a new device; the user
    is `bench-user-<n>` from a pool of `users`. One body in four is a device's first request
    (device object, config_time 0, triggers, attributes); the rest are later flushes. The bodies take turns
    with `api_keys` (each an app of its own workspace; braze_data.lua's `@body` sends each body's key).
    """
    rng = random.Random(seed)
    now = time.time()
    bodies = []
    for i in range(count):
        user = f"bench-user-{i % users}"
        session = f"5e550000-0000-4000-8000-{UID}"
        first = i % 4 == 0
        t = now - 60 + rng.random() * 30
        events = []
        for code in EVENT_MIX:
            t += rng.random() * 0.5
            if code == "ss":
                data: dict[str, Any] = {}
            elif code == "ce":
                data = {
                    "n": rng.choice(EVENT_NAMES),
                    "p": {
                        "song": f"track-{rng.randrange(1000)}",
                        "rating": round(rng.random() * 5, 1),
                        "plays": rng.randrange(1, 50),
                        "fav": rng.random() < 0.5,
                        "at": "2024-01-02T03:04:05",
                        "nested": {"genre": rng.choice(GENRES), "tags": ["x", "y"]},
                    },
                }
            elif code == "p":
                data = {
                    "pid": rng.choice(PRODUCTS),
                    "c": "USD",
                    "p": f"{rng.randrange(100, 5000) / 100:.2f}",
                    "q": rng.randrange(1, 4),
                    "pr": {"color": "red", "size": 10},
                }
            else:  # inc
                data = {"key": rng.choice(COUNTERS), "value": rng.randrange(1, 5)}
            events.append({"name": code, "time": round(t, 3), "data": data, "session_id": session, "user_id": user})
        body: dict[str, Any] = {
            "respond_with": {"user_id": user, "config": {"config_time": 0 if first else config_time}},
            "events": events,
        }
        if first:
            body["respond_with"]["triggers"] = True
            body["attributes"] = [
                {
                    "user_id": user,
                    "push_token": None,
                    "custom_push_public_key": None,
                    "custom_push_user_auth": None,
                    "custom_push_vapid_public_key": None,
                }
            ]
            body["device"] = DEVICE
        device_id = f"d0000000-0000-4000-8000-{UID}"
        body.update({"api_key": api_keys[i % len(api_keys)], "time": int(t), "sdk_version": "6.13.0", "device_id": device_id})
        if first:
            body["sdk_metadata"] = ["npm"]
        bodies.append(json.dumps(body, separators=(",", ":")))
    return bodies
