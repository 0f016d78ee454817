"""The endpoints a virtual device syncs with besides `data`: Content Cards (`content_cards/sync`), feature flags
(`feature_flags/sync`) and `push/unregister`, what the device keeps from their answers, and the refreshes the
SDKs make at session start when the server config enables them.

Each function works on a `SyncSide`, the part of the device it needs (VirtualDevice implements it): sending a
request with the device's envelope, user and headers, and the synced state it holds. Facts:
(docs/mobile-wire.md, endpoints, answers, content-card-json and ios-apns).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from braze_harness.devices.virtual.transport import Delivery
from braze_harness.protocol.responses import ServerConfig

Flags = Mapping[str, str] | Callable[[int], Mapping[str, str]]


class PushUnregistrationError(Exception):
    """`push/unregister` failed; the SDKs do not retry it (Android `BrazePushUnregistrationException`)."""

    def __init__(self, message: str, *, retriable: bool, status: int | None) -> None:
        super().__init__(message)
        self.retriable = retriable
        self.status = status


class SyncSide(Protocol):
    """What the syncs need from the device: a request sender and the synced state."""

    server_config: ServerConfig | None
    content_cards: dict[str, dict[str, Any]]
    last_full_sync_at: int
    last_card_updated_at: int
    feature_flags: list[dict[str, Any]]

    def send(
        self, endpoint: str, fields: Mapping[str, Any] | None = None, *, flags: Flags | None = None, retry: bool = True
    ) -> Delivery: ...


def refresh_content_cards(device: SyncSide) -> Delivery:
    """`content_cards/sync` with the device's sync stamps; `BRAZE-SYNC-RETRY-COUNT` counts the retries."""

    def flags(attempt: int) -> dict[str, str]:
        return {"content_cards": "true", "sync_retry_count": str(attempt - 1)}

    fields = {"last_full_sync_at": device.last_full_sync_at, "last_card_updated_at": device.last_card_updated_at}
    delivery = device.send("content_cards/sync", fields, flags=flags)
    if delivery.ok and isinstance(delivery.body, dict):
        read_cards(device, delivery.body)
    return delivery


def read_cards(device: SyncSide, answer: dict[str, Any]) -> None:
    """The cards of a sync answer: a full sync replaces them, a removed card (`r`) goes, the others are added or
    updated; the answer's sync stamps are kept for the next request."""
    cards = answer.get("cards")
    if isinstance(cards, list):
        if answer.get("full_sync"):
            device.content_cards = {}
        for card in cards:
            if isinstance(card, dict) and "id" in card:
                if card.get("r"):
                    device.content_cards.pop(card["id"], None)
                else:
                    device.content_cards[card["id"]] = card
    if isinstance(answer.get("last_full_sync_at"), int | float):
        device.last_full_sync_at = int(answer["last_full_sync_at"])
    if isinstance(answer.get("last_card_updated_at"), int | float):
        device.last_card_updated_at = int(answer["last_card_updated_at"])


def refresh_feature_flags(device: SyncSide) -> Delivery:
    """`feature_flags/sync`: the answer's list replaces the cached flags."""
    delivery = device.send("feature_flags/sync", flags={"feature_flags": "true"})
    if delivery.ok and isinstance(delivery.body, dict) and isinstance(delivery.body.get("feature_flags"), list):
        device.feature_flags = delivery.body["feature_flags"]
    return delivery


def sync_at_session_start(device: SyncSide) -> None:
    """On session start the SDKs refresh Content Cards and feature flags when the server config enables them."""
    config = device.server_config
    if config is None:
        return
    if (config.content_cards or {}).get("enabled"):
        refresh_content_cards(device)
    if (config.feature_flags or {}).get("enabled"):
        refresh_feature_flags(device)


def unregister_push(device: SyncSide, token: str) -> Delivery:
    """One `push/unregister` with the user and `push_token`, never retried; raises `PushUnregistrationError`
    when it fails."""
    delivery = device.send("push/unregister", {"push_token": token}, retry=False)
    if not delivery.ok:
        raise PushUnregistrationError(
            f"push/unregister failed: {delivery.status or delivery.last.error}",
            retriable=delivery.retriable,
            status=delivery.status,
        )
    return delivery
