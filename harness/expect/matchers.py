"""Matchers: the opt-in ways to loosen the DSL's strict comparison, each with a description a failure message shows.

By default a property or attribute equals the expected value *and has its JSON type*: Braze keeps the type it
receives, so `"19.99"` is not `19.99` (a string breaks numeric segment filters and Liquid math) and `True` is not
`1`. Say so when a looser match is meant:

    expect.custom_event("cart", props={"total": approx(19.99, abs=0.005)})   # a number near 19.99
    expect.custom_event("cart", props={"total": numeric(19.99)})            # 19.99 or "19.99"
    expect.attributes(age=matcher(lambda v: 18 <= v < 30, "an age in [18, 30)"))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


class Matcher:
    """A predicate with a description: `Matcher(fn, "a positive number")`. Failures print the description, never
    the function. Subclass it (override `matches` and `describe`) or use `matcher(fn, description)`."""

    def __init__(self, fn: Callable[[Any], bool], description: str) -> None:
        self._fn = fn
        self.description = description

    def matches(self, actual: Any) -> bool:
        return bool(self._fn(actual))

    def describe(self) -> str:
        return self.description

    def __call__(self, actual: Any) -> bool:  # still usable wherever a predicate is
        return self.matches(actual)

    def __repr__(self) -> str:  # dicts of expected values print it: `{'total': approx(19.99 ± 0.005)}`
        return self.describe()


def matcher(fn: Callable[[Any], bool], description: str) -> Matcher:
    """A custom predicate the failure message names: `matcher(lambda v: v % 2 == 0, "an even number")`."""
    if not callable(fn):
        raise TypeError(f"matcher(fn, description): fn must be callable, not {type(fn).__name__}")
    if not isinstance(description, str) or not description:
        raise TypeError("matcher(fn, description): give a description, the failure message shows it")
    return Matcher(fn, description)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_number(value: Any) -> float | None:
    """A JSON number, or a string holding one (`"19.99"`); None otherwise (bools, NaN, text)."""
    if _number(value):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = float(value.strip())
        except ValueError:
            return None
        return parsed if math.isfinite(parsed) else None
    return None


class _Approx(Matcher):
    def __init__(self, expected: float, rel: float | None, abs_: float | None) -> None:
        if not _number(expected):
            raise TypeError(f"approx(value): value must be a number, not {expected!r}")
        self.expected = float(expected)
        self.rel = 1e-6 if rel is None and abs_ is None else (rel or 0.0)
        self.abs = abs_ or 0.0
        self.tolerance = max(self.rel * abs(self.expected), self.abs)
        super().__init__(self._near, f"approx({expected!r} ± {self.tolerance:.3g})")

    def _near(self, actual: Any) -> bool:  # a number only: approx does not also loosen the type
        return _number(actual) and abs(float(actual) - self.expected) <= self.tolerance


def approx(value: float, *, rel: float | None = None, abs: float | None = None) -> Matcher:
    """A number within `rel` (relative) or `abs` (absolute) of `value` (default rel=1e-6). A string is not a number."""
    return _Approx(value, rel, abs)


class _Numeric(Matcher):
    def __init__(self, expected: float) -> None:
        if not _number(expected):
            raise TypeError(f"numeric(value): value must be a number, not {expected!r}")
        self.expected = float(expected)
        super().__init__(self._same, f"numeric({expected!r}) (a number or numeric string)")

    def _same(self, actual: Any) -> bool:
        got = _as_number(actual)
        return got is not None and math.isclose(got, self.expected, rel_tol=1e-9, abs_tol=1e-9)


def numeric(value: float) -> Matcher:
    """`value` as a number or a numeric string: `numeric(19.99)` accepts `19.99` and `"19.99"`."""
    return _Numeric(value)


def strict_equal(actual: Any, expected: Any) -> bool:
    """Equality that keeps JSON types apart: bool is not int, a string is not a number; 2 == 2.0 (one JSON type)."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if _number(actual) and _number(expected):
        return actual == expected or math.isclose(float(actual), float(expected), rel_tol=1e-12, abs_tol=1e-12)
    if _number(actual) != _number(expected):
        return False
    if isinstance(actual, list | tuple) and isinstance(expected, list | tuple):
        return len(actual) == len(expected) and all(strict_equal(a, e) for a, e in zip(actual, expected, strict=True))
    if type(actual) is not type(expected) and isinstance(actual, str) != isinstance(expected, str):
        return False
    return bool(actual == expected)


def type_hint(actual: Any, expected: Any) -> str:
    """Why two equal-looking values differ: ` (a string, not a number: use numeric(...) to accept both)`."""
    if isinstance(actual, str) and _number(expected) and _as_number(actual) is not None:
        return f" (a string, not a number: Braze keeps the type; numeric({expected!r}) accepts both)"
    if _number(actual) and isinstance(expected, str) and _as_number(expected) is not None:
        return " (a number, not a string)"
    if isinstance(actual, bool) != isinstance(expected, bool) and actual == expected:
        return " (a bool is not a number)"
    return ""


__all__ = ["Matcher", "approx", "matcher", "numeric", "strict_equal", "type_hint"]
