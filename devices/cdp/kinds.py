"""The attribute kind a CDP shop's `set_custom_attribute(kind="auto")` infers from a value, for its capability check
(`set_custom_attribute:<kind>`): shared by the mParticle and Segment adapters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (dt.date, dt.datetime)):
        return "date"
    if isinstance(value, Mapping):
        return "object"
    return "array"
