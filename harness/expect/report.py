"""Failure messages: what was expected, how long we waited, the nearest misses and recent traffic."""

from __future__ import annotations

from collections.abc import Sequence

from harness.journal import JournalEntry

RECENT_SHOWN = 15
MISSES_SHOWN = 3


class ExpectationFailed(AssertionError):
    """Raised when an expectation is not met; its message is the whole diagnosis."""


def failure(
    headline: str,
    *,
    waited: float,
    entries: Sequence[JournalEntry],
    misses: Sequence[str] = (),
    scope: str | None = None,
    misses_title: str = "Nearest misses:",
    misses_shown: int = MISSES_SHOWN,
) -> ExpectationFailed:
    lines = [headline]
    events = sum(len(e.events) for e in entries)
    bad = [e for e in entries if not e.good]
    where = f"scope {scope!r}" if scope else "the journal"
    lines.append(f"Waited {waited:.2f} s; {where} saw {len(entries)} request(s), {events} event(s), {len(bad)} bad.")
    if misses:
        lines.append(misses_title)
        lines.extend(f"  {m}" for m in misses[:misses_shown])
    if bad:
        lines.append("Bad requests meanwhile:")
        lines.extend(f"  {e.summary()}" for e in bad[-MISSES_SHOWN:])
    if entries:
        lines.append(f"Recent traffic ({min(len(entries), RECENT_SHOWN)} of {len(entries)}):")
        lines.extend(f"  {e.summary()}" for e in entries[-RECENT_SHOWN:])
    else:
        lines.append("No traffic at all in this scope: is the app pointed at the emulator, and did it flush?")
    return ExpectationFailed("\n".join(lines))
