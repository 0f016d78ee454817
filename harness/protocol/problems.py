"""A problem found in an exchange: where it is, what is wrong, and how bad (error, protocol drift, info)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Problem(BaseModel):
    where: str
    message: str
    severity: Literal["error", "drift", "info"] = "error"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"
