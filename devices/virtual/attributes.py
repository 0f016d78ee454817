"""User attributes on a virtual device: which keys and values the SDKs accept, and how they write the values.

The device's `set_*attribute*` methods (device.py) ask these functions whether a key or value is accepted and
in which form it goes out; what passes is queued by the device. Dates are ISO strings, and inside nested custom
attributes Braze's `{"$time": ...}` objects; a key the server config blocklists is refused, as the SDKs do.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any, Literal

from braze_harness.protocol.attributes import STANDARD_ATTRIBUTES
from braze_harness.protocol.responses import ServerConfig

GENDERS = {"male": "m", "female": "f", "other": "o", "unknown": "u", "not_applicable": "n", "prefer_not_to_say": "p"}
REFUSED: Any = object()  # a value the SDK refuses: the setter returns False and nothing is queued


def iso_datetime(value: dt.date) -> str:
    """Dates as `YYYY-MM-DDTHH:MM:SS` in UTC, the form the Web SDK sends [I for the mobile SDKs]."""
    if isinstance(value, dt.datetime):
        moment = value.astimezone(dt.UTC) if value.tzinfo else value  # naive = UTC
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{value.isoformat()}T00:00:00"


def jsonable(value: Any, *, time_objects: bool = False) -> Any:
    """Python values as the SDKs serialise them: dates as ISO strings, or inside nested custom
    attributes as Braze's `{"$time": ...}` (`time_objects=True` for the values of an object)."""
    if isinstance(value, dt.date):
        return {"$time": iso_datetime(value)} if time_objects else iso_datetime(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, time_objects=time_objects) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v, time_objects=time_objects) for v in value]
    return value


def attribute_value(value: Any) -> Any:
    """A custom attribute value: a top-level date is a string, dates inside objects are `$time` objects."""
    if isinstance(value, Mapping | list):
        return jsonable(value, time_objects=True)
    return jsonable(value)


def blocked(config: ServerConfig | None, blocklist: str, name: str) -> bool:
    """Whether the server config's `blocklist` (`attributes_blacklist`, `events_blacklist`, ...) holds `name`."""
    return config is not None and name in (getattr(config, blocklist) or ())


def valid_key(key: Any, config: ServerConfig | None) -> bool:
    """A custom attribute key: a non-empty string, not starting with `$`, not blocklisted by the server config."""
    return isinstance(key, str) and bool(key) and not key.startswith("$") and not blocked(config, "attributes_blacklist", key)


def standard_value(key: str, value: Any) -> Any:
    """Standard attribute `key` (`first_name`, `email`, `dob`, `gender`, ...) as it goes out: a date as
    `YYYY-MM-DD`, a gender as its one-letter code, None to unset; REFUSED when it is not a string.
    Raises ValueError for a key that is not a standard attribute."""
    if key not in STANDARD_ATTRIBUTES:
        raise ValueError(f"not a standard attribute: {key!r}; known: {', '.join(STANDARD_ATTRIBUTES)}")
    if isinstance(value, dt.date):
        value = value.strftime("%Y-%m-%d") if not isinstance(value, dt.datetime) else value.date().isoformat()
    if key == "gender" and isinstance(value, str):
        value = GENDERS.get(value.lower(), value.lower())
    if value is not None and not isinstance(value, str):
        return REFUSED
    return value


def dob_as_datetime(value: str) -> str:
    """A `YYYY-MM-DD` date of birth as the Swift SDK 18 sends it, `YYYY-MM-DDT00:00:00Z`; anything else as given."""
    try:
        return dt.date.fromisoformat(value).isoformat() + "T00:00:00Z"
    except ValueError:
        return value


def custom_value(value: Any) -> tuple[Literal["array", "value"], Any] | None:
    """How `setCustomUserAttribute(key, value)` goes out: `("array", strings)` for a list of strings (it is
    `setCustomAttributeArray`, the `set` event), `("value", wire value)` for a str, number, bool, date (an ISO
    string, inferred), dict (nested attribute), list (of objects or scalars) or None (unset); None when refused."""
    if isinstance(value, tuple | set | frozenset):
        value = list(value)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "array", value
    if value is not None and not isinstance(value, str | bool | int | float | dt.date | dict | list):
        return None
    return "value", attribute_value(value)


def finite_number(value: Any) -> bool:
    """An increment (or a price): an int or float that is finite, never a bool."""
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def valid_location(latitude: float, longitude: float) -> bool:
    return -90 <= latitude <= 90 and -180 <= longitude <= 180
