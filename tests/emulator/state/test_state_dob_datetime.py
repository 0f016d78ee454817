"""The date of birth as Swift SDK 18 sends it (an ISO 8601 datetime, docs/mobile-wire.md, date-of-birth)."""

from __future__ import annotations

import pytest
from braze_harness.emulator.state import EmulatorState

from tests.support.fake_sdk import FakeSdk


def _dob_after(value: str) -> tuple[dict, list[str]]:
    sdk = FakeSdk(EmulatorState())
    sdk.change_user("u1")
    problems = sdk.set_attributes(dob=value)
    [profile] = sdk.state.profiles(external_id="u1")
    return sdk.state.profile_json(profile)["attributes"], [p.message for p in problems]


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("1990-07-04T00:00:00Z", "1990-07-04"),  # Swift 18
        ("1990-07-04T00:00:00.000Z", "1990-07-04"),
        ("1990-07-04T00:00:00+00:00", "1990-07-04"),
        ("1990-7-4", "1990-7-4"),  # the Web SDK's unpadded form, kept as given
    ],
)
def test_an_iso_datetime_dob_is_stored_as_its_date(sent: str, stored: str) -> None:
    attributes, problems = _dob_after(sent)
    assert problems == []
    assert attributes["dob"] == stored


@pytest.mark.parametrize(
    "garbage", ["1990-07-04T25:00:00Z", "1990-02-30T00:00:00Z", "1990-07-04Tnoon", "yesterday", "04/07/1990"]
)
def test_garbage_dob_is_still_rejected(garbage: str) -> None:
    attributes, problems = _dob_after(garbage)
    assert "dob" not in attributes
    assert len(problems) == 1 and problems[0].startswith("invalid date of birth")
