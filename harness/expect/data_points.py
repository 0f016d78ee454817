"""Assertions on the Braze data points a test's traffic costs (`braze_harness.dataplan.datapoints` counts them).

    braze.expect.data_points("ada").at_most(12)     # this user's traffic so far
    braze.expect.data_points().no_waste()           # no attribute re-sent unchanged, by anyone

Not waiting: data points only grow, so "at most" holds now or never; flush the app before asking.
"""

from __future__ import annotations

from braze_harness.dataplan.datapoints import DataPoints, ledger_of
from braze_harness.expect.report import ExpectationFailed
from braze_harness.expect.source import Source

_SHOWN = 10


class DataPointsExpectation:
    def __init__(self, source: Source, user: str | None = None) -> None:
        self.source = source
        self.user = user

    def get(self) -> DataPoints:
        """The data points now: of `user`, or of all the scope's traffic."""
        ledger = ledger_of(self.source.entries())
        return ledger.user(self.user) if self.user is not None else ledger.total()

    def at_most(self, limit: int) -> DataPoints:
        points = self.get()
        if points.used > limit:
            raise ExpectationFailed(self._report(f"expected at most {limit} data points", points))
        return points

    def no_waste(self) -> DataPoints:
        points = self.get()
        if points.wasted:
            raise ExpectationFailed(self._report("expected no attribute re-sent with the value it already had", points))
        return points

    def _report(self, headline: str, points: DataPoints) -> str:
        who = f"user {self.user!r}" if self.user is not None else "this test's traffic"
        lines = [f"{headline} for {who}, got {points.line()}"]
        if points.waste:
            lines.append("Wasted (send only what changed):")
            lines += [f"  {w}" for w in points.waste[:_SHOWN]]
            if len(points.waste) > _SHOWN:
                lines.append(f"  ... and {len(points.waste) - _SHOWN} more")
        return "\n".join(lines)
