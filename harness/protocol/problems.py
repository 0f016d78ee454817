"""A problem found in an exchange: where it is, what is wrong, and how bad (error, protocol drift, data plan, info)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Problem(BaseModel):
    where: str
    message: str
    severity: Literal["error", "drift", "plan", "info"] = "error"  # plan: against the team's data plan (braze_harness.dataplan)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"
