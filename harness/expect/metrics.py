"""Waiting assertions on a campaign's engagement metrics (`si`, `sc`, `cci`, `pc`, ...).

    braze.expect.metrics("welcome").totals(si=1).uniques(si=1).within(5)
    braze.expect.metrics("onb").step("hello").totals(si=1).within()    # one step of a canvas

The metrics are read through a callable (`read(campaign_id) -> {"totals", "uniques", "by_user", ...}`; the
plugin gives the control API's `GET .../metrics`) and re-read on every journal change: the emulator counts
them from the journal, so nothing else can change them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Self

import orjson
from braze_harness.expect.patterns import Diff, Expected, value_diffs
from braze_harness.expect.source import Source
from braze_harness.expect.waiting import DEFAULT_TIMEOUT, wait_for

MetricsReader = Callable[[str], dict[str, Any]]


class MetricsExpectation:
    """Counts by engagement code: an int (equal; a count over it fails at once: counts only grow) or a predicate."""

    def __init__(self, source: Source, read: MetricsReader, campaign_id: str, default_timeout: float = DEFAULT_TIMEOUT) -> None:
        self.source = source
        self.read = read
        self.campaign_id = campaign_id
        self.default_timeout = default_timeout
        self._step: str | None = None
        self._expected: dict[str, dict[str, Expected]] = {"totals": {}, "uniques": {}}

    def totals(self, **counts: Expected) -> Self:
        """Every engagement counted (`si=2`: two impressions, by anyone)."""
        self._expected["totals"].update(counts)
        return self

    def uniques(self, **counts: Expected) -> Self:
        """Distinct users per engagement (`si=1`: one user saw it, however often)."""
        self._expected["uniques"].update(counts)
        return self

    def step(self, step_id: str) -> Self:
        """The counts of one step of a canvas (`metrics(canvas)["steps"][step_id]`)."""
        self._step = step_id
        return self

    def get(self) -> dict[str, Any]:
        """The metrics now (of the step, with `step()`), without waiting."""
        return self._counts(self.read(self.campaign_id))

    def _counts(self, metrics: dict[str, Any]) -> dict[str, Any]:
        if self._step is None:
            return metrics
        return (metrics.get("steps") or {}).get(self._step) or {"totals": {}, "uniques": {}, "by_user": {}}

    def differences(self, metrics: Mapping[str, Any]) -> list[Diff]:
        diffs: list[Diff] = []
        for kind, wanted in self._expected.items():
            got = metrics.get(kind) or {}
            for code, exp in wanted.items():
                diffs.extend(value_diffs(got.get(code, 0), exp, f"{kind}.{code}"))
        return diffs

    def _overshot(self, metrics: dict[str, Any]) -> str | None:
        over = [
            f"{kind}.{code} is {(metrics.get(kind) or {}).get(code, 0)}, over {exp}"
            for kind, wanted in self._expected.items()
            for code, exp in wanted.items()
            if isinstance(exp, int) and not isinstance(exp, bool) and (metrics.get(kind) or {}).get(code, 0) > exp
        ]
        return "; ".join(over) + " (counts only grow)" if over else None

    def describe(self) -> str:
        what = f"campaign {self.campaign_id!r}" + (f" step {self._step!r}" if self._step else "")
        parts = [
            f"{kind} " + ", ".join(f"{code}={_show(exp)}" for code, exp in wanted.items())
            for kind, wanted in self._expected.items()
            if wanted
        ]
        return f"{what} metrics with " + (" and ".join(parts) if parts else "any counts")

    def within(self, timeout: float | None = None) -> dict[str, Any]:
        """Wait until every count holds; the metrics (of the step, with `step()`)."""
        timeout = self.default_timeout if timeout is None else timeout

        def show(metrics: dict[str, Any]) -> str:
            diffs = [str(d) for d in self.differences(metrics)]
            now = {k: metrics.get(k) or {} for k in ("totals", "uniques", "by_user")}
            return "\n".join([*diffs, "is: " + orjson.dumps(now, option=orjson.OPT_SORT_KEYS).decode()[:600]])

        return wait_for(
            self.source,
            timeout,
            lambda _: self.get(),
            expected=self.describe(),
            until=lambda metrics: not self.differences(metrics),
            show=show,
            fail_fast=self._overshot,
        )


def _show(expected: Expected) -> str:
    return repr(expected) if not callable(expected) else getattr(expected, "__name__", "<predicate>")


__all__ = ["MetricsExpectation", "MetricsReader"]
