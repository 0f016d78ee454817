"""The documented Content Cards refresh rate limit, as an option: a token bucket per device.

Braze documents (docs/server-behaviour.md, content-card-refresh): 5 refreshes per device, shared across users and
`openSession()` calls, then one new token every 180 s, at most 5 held; while rate-limited the app's
subscribers keep the cached cards. Braze does not document a wire answer for it, so a limited sync is
answered `{}`: a 2xx the SDK reads as "no update" (its cards stay as cached, nothing is retried).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class CardRateLimit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    capacity: int = Field(5, ge=1)
    refill_seconds: float = Field(180, gt=0)


@dataclass
class TokenBucket:
    capacity: int
    refill_seconds: float
    tokens: float
    updated: float

    @classmethod
    def full(cls, limit: CardRateLimit, now: float) -> TokenBucket:
        return cls(limit.capacity, limit.refill_seconds, float(limit.capacity), now)

    def take(self, now: float) -> bool:
        """One token if there is one (after refilling for the time passed)."""
        if now > self.updated:
            self.tokens = min(float(self.capacity), self.tokens + (now - self.updated) / self.refill_seconds)
            self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
