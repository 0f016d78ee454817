"""The hostile-traffic benchmark in its quick mode: no 5xx, no good event lost or counted twice."""

from benchmarks.hostile import run


def test_quick_hostile_burst_has_no_5xx_and_loses_nothing():
    result = run(rounds=5, journal_max_bytes=16 * 1024 * 1024)
    assert result["5xx"] == 0, result
    assert result["good_events_sent"] == 5 * 8
    assert result["good_events_lost"] == 0 and result["good_events_extra"] == 0, result
    assert {413, 431, 400} <= set(result["status"]), result
