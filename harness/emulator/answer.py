"""`Answer`: what the emulator answers one SDK (or REST) request, before any transport turns it into bytes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(slots=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (a fault)
    delay_s: float = 0.0  # hold the answer this long (a fault)
    raw: bytes | None = None  # the body's bytes when they are not `body` as JSON (a malformed/empty fault)

    def encoded(self) -> bytes:
        return self.raw if self.raw is not None else orjson.dumps(self.body)
