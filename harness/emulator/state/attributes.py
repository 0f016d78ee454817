"""The attribute engine: standard fields, custom attributes and the array/number/object operations.

Every write is validated on its own: a bad value becomes a Problem and is skipped, its neighbours
still apply (docs/server-behaviour.md, attributes, custom-attributes and emulator-rules). `fill_only` is the merge
rule (docs/server-behaviour.md, changeuser and merge-rules): a value is
only written where the profile has none, so the known user's values win. Each write also notes when the attribute
was set (`when`, the setting request's time) in the profile's `standard_set_at` / `custom_set_at`.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from braze_harness.emulator.state.profiles import Profile
from braze_harness.protocol.decode import Problem

MAX_STRING = 255  # attribute strings, keys and event property strings (docs/server-behaviour.md, custom-attributes)
MAX_OBJECT_BYTES = 100 * 1024  # nested objects and arrays of objects (docs/server-behaviour.md, custom-attributes)
GENDERS = frozenset("mfoupn")  # Web SDK enum m f o n p u (docs/server-behaviour.md, standard-attributes)
SUBSCRIPTION_STATES = frozenset({"opted_in", "subscribed", "unsubscribed"})
_DOB = re.compile(r"^\d{1,4}-\d{1,2}-\d{1,2}$")  # the Web SDK does not zero-pad month/day (docs/web-sdk-wire.md, user-attributes)
# Swift SDK 18 sends an ISO 8601 datetime at midnight UTC (docs/mobile-wire.md, date-of-birth): kept as its date
_DOB_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:?\d{2})?$")


def truncate(value: str, where: str, problems: list[Problem]) -> str:
    if len(value) <= MAX_STRING:
        return value
    problems.append(Problem(where=where, message=f"string of {len(value)} chars truncated to {MAX_STRING}"))
    return value[:MAX_STRING]


def _clean_nested(value: Any, where: str, problems: list[Problem]) -> tuple[Any, bool]:
    """Copy a nested object/array with long strings truncated; False when it holds an invalid part.

    An invalid part (null, a key with `.` or a leading `$` other than `$time`) drops the whole
    attribute update, as /users/track does (docs/server-behaviour.md, custom-attributes)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str) or not key or "." in key or (key.startswith("$") and key != "$time"):
                message = "invalid nested key ('.' and a leading '$' are not allowed)"
                problems.append(Problem(where=f"{where}.{key}", message=message))
                return None, False
            cleaned, ok = _clean_nested(item, f"{where}.{key}", problems)
            if not ok:
                return None, False
            out[truncate(key, f"{where}.{key}", problems)] = cleaned
        return out, True
    if isinstance(value, list):
        items = []
        for index, item in enumerate(value):
            cleaned, ok = _clean_nested(item, f"{where}[{index}]", problems)
            if not ok:
                return None, False
            items.append(cleaned)
        return items, True
    if value is None:
        problems.append(Problem(where=where, message="null inside a nested attribute: the whole attribute update is dropped"))
        return None, False
    if isinstance(value, str):
        return truncate(value, where, problems), True
    return value, True


def _too_big(value: Any, where: str, problems: list[Problem]) -> bool:
    size = len(orjson.dumps(value))
    if size > MAX_OBJECT_BYTES:
        problems.append(Problem(where=where, message=f"nested value of {size} bytes exceeds {MAX_OBJECT_BYTES}: not applied"))
        return True
    return False


def deep_merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _dob_date(value: str) -> str | None:
    """The date of an ISO 8601 datetime date of birth (`1990-07-04T00:00:00Z` -> `1990-07-04`); None if it is not one."""
    m = _DOB_DATETIME.match(value)
    if m is None:
        return None
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))  # a real calendar date and time, not just its shape
    except ValueError:
        return None
    return m.group(1)


@dataclass(slots=True)
class AttributeWriter:
    profile: Profile
    problems: list[Problem]
    array_cap: int
    when: float  # the time of the request that sets: unix s, server clock
    fill_only: bool = False

    def _skip(self, present: bool) -> bool:
        return self.fill_only and present

    # every write and unset goes through these, so a value and its set-time never disagree

    def _set_standard(self, key: str, value: Any) -> None:
        self.profile.standard[key] = value
        self.profile.standard_set_at[key] = self.when

    def _unset_standard(self, key: str) -> None:
        self.profile.standard.pop(key, None)
        self.profile.standard_set_at.pop(key, None)

    def _set_custom(self, key: str, value: Any) -> None:
        self.profile.custom[key] = value
        self.profile.custom_set_at[key] = self.when

    def _unset_custom(self, key: str) -> None:
        self.profile.custom.pop(key, None)
        self.profile.custom_set_at.pop(key, None)

    # --- standard fields ------------------------------------------------------------------------

    def standard(self, where: str, updates: dict[str, Any]) -> None:
        for key, value in updates.items():
            self.standard_field(f"{where}.{key}", key, value)

    def standard_field(self, where: str, key: str, value: Any) -> None:
        std = self.profile.standard
        if self._skip(key in std) or (self.fill_only and value is None):
            return
        if value is None:
            self._unset_standard(key)  # null unsets (docs/server-behaviour.md, attributes)
            return
        if not isinstance(value, str):
            self.problems.append(Problem(where=where, message=f"expected a string, got {type(value).__name__}: not applied"))
            return
        if key == "gender":
            if value.lower() not in GENDERS:
                self.problems.append(Problem(where=where, message=f"invalid gender {value!r} (m f o u n p): not applied"))
                return
            value = value.lower()
        elif key in ("email_subscribe", "push_subscribe"):
            if value not in SUBSCRIPTION_STATES:
                self.problems.append(Problem(where=where, message=f"invalid subscription state {value!r}: not applied"))
                return
        elif key == "dob" and not _DOB.match(value):
            date = _dob_date(value)
            if date is None:
                message = f"invalid date of birth {value!r} (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ): not applied"
                self.problems.append(Problem(where=where, message=message))
                return
            value = date
        self._set_standard(key, truncate(value, where, self.problems))

    # --- custom attributes ----------------------------------------------------------------------

    def _key(self, where: str, key: Any) -> str | None:
        if not isinstance(key, str) or not key:
            self.problems.append(Problem(where=where, message="empty custom attribute key: not applied"))
            return None
        return truncate(key, f"{where} (key)", self.problems)

    def custom(self, where: str, updates: dict[str, Any]) -> None:
        for raw_key, value in updates.items():
            self.custom_value(f"{where}.{raw_key}", raw_key, value)

    def custom_value(self, where: str, raw_key: Any, value: Any) -> None:
        key = self._key(where, raw_key)
        if key is None:
            return
        custom = self.profile.custom
        if self._skip(key in custom) or (self.fill_only and value is None):
            return
        if value is None:
            self._unset_custom(key)
        elif isinstance(value, str):
            self._set_custom(key, truncate(value, where, self.problems))  # date strings are kept as given
        elif isinstance(value, bool | int | float):
            self._set_custom(key, value)
        elif isinstance(value, dict):
            cleaned, ok = _clean_nested(value, where, self.problems)
            if ok and not _too_big(cleaned, where, self.problems):
                # an object overwrites; merging is `ncam` (docs/server-behaviour.md, custom-attributes)
                self._set_custom(key, cleaned)
        elif isinstance(value, list):
            if any(isinstance(v, dict) for v in value):
                if not all(isinstance(v, dict) for v in value):
                    self.problems.append(Problem(where=where, message="array mixes objects and scalars: not applied"))
                    return
                cleaned, ok = _clean_nested(value, where, self.problems)
                if ok and not _too_big(cleaned, where, self.problems):
                    self._set_custom(key, cleaned)  # array of objects, stored as given
            else:
                self.array_set(where, key, value)
        else:
            self.problems.append(Problem(where=where, message=f"unsupported value type {type(value).__name__}: not applied"))

    # --- arrays: unique values, re-add moves to the end, oldest dropped past the cap (docs/server-behaviour.md, custom-
    # attributes)

    def _array_items(self, where: str, values: list[Any]) -> list[Any] | None:
        items: list[Any] = []
        for index, value in enumerate(values):
            if isinstance(value, list | dict) or value is None:
                message = "arrays hold scalars only (one-dimensional): not applied"
                self.problems.append(Problem(where=f"{where}[{index}]", message=message))
                return None
            items.append(truncate(value, f"{where}[{index}]", self.problems) if isinstance(value, str) else value)
        return items

    def _existing_array(self, where: str, key: str) -> list[Any] | None:
        current = self.profile.custom.get(key)
        if current is None:
            return []
        if not isinstance(current, list):
            message = f"custom attribute {key!r} is a {type(current).__name__}, not an array: not applied"
            self.problems.append(Problem(where=where, message=message))
            return None
        return current

    def _cap(self, where: str, key: str, items: list[Any]) -> list[Any]:
        if len(items) <= self.array_cap:
            return items
        dropped = len(items) - self.array_cap
        message = f"array {key!r} over the cap of {self.array_cap}: dropped the {dropped} oldest"
        self.problems.append(Problem(where=where, message=message))
        return items[dropped:]

    def array_set(self, where: str, key: str, values: list[Any]) -> None:
        if self._skip(key in self.profile.custom):
            return
        items = self._array_items(where, values)
        if items is None:
            return
        unique: list[Any] = []
        for item in items:
            if item not in unique:
                unique.append(item)
        self._set_custom(key, self._cap(where, key, unique))

    def array_add(self, where: str, key: str, value: Any) -> None:
        if self._skip(key in self.profile.custom):
            return
        items = self._array_items(where, value if isinstance(value, list) else [value])
        current = self._existing_array(where, key)
        if items is None or current is None:
            return
        updated = list(current)
        for item in items:
            if item in updated:
                updated.remove(item)  # re-adding moves it to the end
            updated.append(item)
        self._set_custom(key, self._cap(where, key, updated))

    def array_remove(self, where: str, key: str, value: Any) -> None:
        if self.fill_only:
            return  # merge semantics: the known user's array is not touched
        items = value if isinstance(value, list) else [value]
        current = self._existing_array(where, key)
        if current is None or key not in self.profile.custom:
            return
        self._set_custom(key, [v for v in current if v not in items])

    # --- numbers, objects, locations ------------------------------------------------------------

    def increment(self, where: str, key: str, amount: float) -> None:
        custom = self.profile.custom
        if self._skip(key in custom):
            return
        current = custom.get(key, 0)  # missing counts as 0 (docs/server-behaviour.md, custom-attributes)
        if not _is_number(current):
            self.problems.append(Problem(where=where, message=f"custom attribute {key!r} is not a number: increment not applied"))
            return
        total = current + amount
        # keep integers integral: the wire carries 5 as 5.0 after float parsing
        self._set_custom(key, int(total) if isinstance(current, int) and float(amount).is_integer() else total)

    def nested_merge(self, where: str, key: str, value: dict[str, Any]) -> None:
        custom = self.profile.custom
        if self._skip(key in custom):
            return
        cleaned, ok = _clean_nested(value, where, self.problems)
        if not ok:
            return
        current = custom.get(key)
        merged = copy.deepcopy(current) if isinstance(current, dict) else {}
        deep_merge(merged, cleaned)
        if not _too_big(merged, where, self.problems):
            self._set_custom(key, merged)

    def location_attribute(self, where: str, key: str, latitude: float, longitude: float) -> None:
        if self._skip(key in self.profile.custom):
            return
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            self.problems.append(Problem(where=where, message=f"location ({latitude}, {longitude}) out of range: not applied"))
            return
        self._set_custom(key, {"latitude": latitude, "longitude": longitude})

    def remove_location_attribute(self, key: str) -> None:
        if not self.fill_only:
            self._unset_custom(key)

    def last_known_location(self, where: str, location: dict[str, Any], when: float) -> None:
        if self._skip(self.profile.location is not None):
            return
        lat, lon = location.get("latitude"), location.get("longitude")
        if not (_is_number(lat) and _is_number(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            self.problems.append(Problem(where=where, message=f"location ({lat}, {lon}) out of range: not applied"))
            return
        self.profile.location = {**{k: v for k, v in location.items() if v is not None}, "time": when}

    def subscription_group(self, group_id: str, status: str) -> None:
        if self._skip(group_id in self.profile.subscription_groups):
            return
        self.profile.subscription_groups[group_id] = status


def merge_attributes(target: Profile, source: Profile) -> None:
    """The merge rule for attributes: the source's values the target lacks move over, each with when it was set."""
    for values, set_at, source_values, source_set_at in (
        (target.standard, target.standard_set_at, source.standard, source.standard_set_at),
        (target.custom, target.custom_set_at, source.custom, source.custom_set_at),
    ):
        for key, value in source_values.items():
            if key not in values:
                values[key] = copy.deepcopy(value)
                if key in source_set_at:
                    set_at[key] = source_set_at[key]


def fill_missing(target: dict[str, Any], source: dict[str, Any]) -> None:
    """The merge rule for attribute maps: only keys the target lacks are copied (docs/server-behaviour.md, merge-rules)."""
    for key, value in source.items():
        if key not in target:
            target[key] = copy.deepcopy(value)
