"""The `attributes` object: one per user, standard keys at the top, custom ones under `custom`.

Presence matters: a key sent as `null` unsets the attribute, a missing key leaves it alone, so
consumers read `model_fields_set` / `standard_updates()` rather than comparing with None.
"""

from __future__ import annotations

from typing import Any, Literal

from braze_harness.protocol.events import Alias, Wire
from pydantic import Field

SubscriptionState = Literal["opted_in", "subscribed", "unsubscribed"]

STANDARD_ATTRIBUTES: tuple[str, ...] = (
    "first_name",
    "last_name",
    "email",
    "gender",
    "dob",
    "country",
    "home_city",
    "language",
    "phone",
    "email_subscribe",
    "push_subscribe",
    "native_line_id",
    "image_url",
    "time_zone",
)
PUSH_ATTRIBUTES: tuple[str, ...] = (
    "push_token",
    "custom_push_public_key",
    "custom_push_user_auth",
    "custom_push_vapid_public_key",
)


class Attributes(Wire):
    user_id: str | None = None
    alias: Alias | None = None

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    gender: str | None = None
    dob: str | None = None
    country: str | None = None
    home_city: str | None = None
    language: str | None = None
    phone: str | None = None
    # plain str: one bad value is the state engine's problem to report, not a reason to drop the object
    email_subscribe: str | None = None
    push_subscribe: str | None = None
    native_line_id: str | None = None
    image_url: str | None = None
    time_zone: str | None = None

    push_token: str | None = None
    custom_push_public_key: str | None = None
    custom_push_user_auth: str | None = None
    custom_push_vapid_public_key: str | None = None

    custom: dict[str, Any] | None = Field(default=None)

    def standard_updates(self) -> dict[str, Any]:
        """Standard fields that were present on the wire (value None means 'unset')."""
        present = self.__pydantic_fields_set__  # = self.model_fields_set, read once rather than per key
        return {k: getattr(self, k) for k in STANDARD_ATTRIBUTES if k in present}

    def push_updates(self) -> dict[str, Any]:
        present = self.__pydantic_fields_set__
        return {k: getattr(self, k) for k in PUSH_ATTRIBUTES if k in present}

    def custom_updates(self) -> dict[str, Any]:
        return dict(self.custom or {})
