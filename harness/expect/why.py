"""The emulator's reasons why a message was or wasn't served, appended to a failed messaging expectation.

    in-app message 'welcome' was not displayed within 5 s ...
    Why (the emulator's messaging log):
      in_app 'welcome' was not in the triggers served at request #34 to user 'ada': not in segment 'pros': ...

A source that can ask the emulator (`Source.messaging_why(campaign=..., channel=...)`, optional) gives the reasons;
one that cannot (a HAR import) leaves the failure as it was.
"""

from __future__ import annotations

from typing import Any

from braze_harness.expect.report import ExpectationFailed

TITLE = "Why (the emulator's messaging log):"


def reasons(source: Any, campaign: str, channel: str | None = None, *, user_id: str | None = None) -> list[str]:
    """The emulator's verdict on `campaign` (latest decision, per user when given); [] when it cannot tell."""
    ask = getattr(source, "messaging_why", None)
    if not callable(ask):
        return []
    try:
        answer = ask(campaign=campaign, channel=channel, user_id=user_id)
    except Exception as exc:  # the failure being reported matters more than its explanation
        return [f"(could not ask the emulator why: {exc})"]
    verdicts = answer.get("verdicts") or {}
    return [str(v) for v in verdicts.values()]


def with_reasons(error: ExpectationFailed, source: Any, campaign: str, channel: str | None = None) -> ExpectationFailed:
    """The same failure (same type) with the emulator's reasons for `campaign` added after its headline lines."""
    found = reasons(source, campaign, channel)
    if not found:
        return error
    lines = str(error).splitlines()
    # after the headline and the "Waited ..." line: the reason is the first thing a reader needs
    cut = 2 if len(lines) > 1 and lines[1].startswith(("Waited", "Meanwhile")) else 1
    text = "\n".join([*lines[:cut], TITLE, *(f"  {r}" for r in found), *lines[cut:]])
    return type(error)(text)


__all__ = ["TITLE", "reasons", "with_reasons"]
