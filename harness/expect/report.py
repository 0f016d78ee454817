"""Failure messages: what was expected, how long we waited, the nearest misses and recent traffic."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from braze_harness.expect import verdicts
from braze_harness.journal import JournalEntry

RECENT_SHOWN = 15
MISSES_SHOWN = 3


# Per scope, what a failure adds about traffic that went elsewhere (the pytest plugin registers one per test: the
# requests that arrived but belong to no test, and the fix). Never raises; [] when there is nothing to say.
SilenceHint = Callable[[], list[str]]
_silence_hints: dict[str, SilenceHint] = {}


def add_silence_hint(scope: str, hint: SilenceHint) -> None:
    _silence_hints[scope] = hint


def remove_silence_hint(scope: str) -> None:
    _silence_hints.pop(scope, None)


def _hints(scope: str | None) -> list[str]:
    hint = _silence_hints.get(scope) if scope else None
    if hint is None:
        return []
    try:
        return hint()
    except Exception:  # a hint is a courtesy: the failure itself must still be raised
        return []


class ExpectationFailed(AssertionError):
    """Raised when an expectation is not met; its message is the whole diagnosis."""


def failure(
    headline: str,
    *,
    waited: float,
    entries: Sequence[JournalEntry] | None,
    misses: Sequence[str] = (),
    scope: str | None = None,
    misses_title: str = "Nearest misses:",
    misses_shown: int = MISSES_SHOWN,
    error: type[ExpectationFailed] = ExpectationFailed,
) -> ExpectationFailed:
    """The one failure of a wait. `entries=None`: the wait was not on the journal (a screen), no traffic shown.
    `error`: a subclass of ExpectationFailed to raise (e.g. `ScreenTimeout`)."""
    lines = [headline]
    if entries is None:
        lines.append(f"Waited {waited:.2f} s.")
    else:
        lines.append(f"Waited {waited:.2f} s; {_seen(entries, scope)}.")
    if misses:
        lines.append(misses_title)
        lines.extend(f"  {m}" for m in misses[:misses_shown])
    if entries is not None:
        lines.extend(_traffic(entries))
        lines.extend(_hints(scope))
    message = "\n".join(lines)
    verdicts.failed(headline, message)
    return error(message)


def with_traffic(error: ExpectationFailed, *, entries: Sequence[JournalEntry], scope: str | None) -> ExpectationFailed:
    """The same failure (same type) with the scope's traffic added: for a wait outside the journal, such as a
    screen's, whose cause is often on the wire (the SDK never got the message, or its sync was refused)."""
    lines = [str(error), f"Meanwhile {_seen(entries, scope)}.", *_traffic(entries), *_hints(scope)]
    return type(error)("\n".join(lines))


def _seen(entries: Sequence[JournalEntry], scope: str | None) -> str:
    events = sum(len(e.events) for e in entries)
    bad = sum(1 for e in entries if not e.good)
    where = f"scope {scope!r}" if scope else "the journal"
    return f"{where} saw {len(entries)} request(s), {events} event(s), {bad} bad"


def _traffic(entries: Sequence[JournalEntry]) -> list[str]:
    lines: list[str] = []
    bad = [e for e in entries if not e.good]
    if bad:
        lines.append("Bad requests meanwhile:")
        lines.extend(f"  {e.summary()}" for e in bad[-MISSES_SHOWN:])
    if entries:
        lines.append(f"Recent traffic ({min(len(entries), RECENT_SHOWN)} of {len(entries)}):")
        lines.extend(f"  {e.summary()}" for e in entries[-RECENT_SHOWN:])
    else:
        lines.append("No traffic at all in this scope: is the app pointed at the emulator, and did it flush?")
    return lines
