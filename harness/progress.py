"""Progress of the CLI's long work (import-har, import-users, drift): a bar on a terminal, plain lines elsewhere.

On a terminal (stderr is a TTY and `CI` is not set) `rich` draws one live bar (a spinner when the total is not
known) that is replaced, not scrolled; in CI logs and pipes each update is a plain line, at most one per `every`
units of work (or one per `every_s` seconds), so a log shows how far the work got without a line per item.
rich, not hand-written ANSI: it measures the terminal, redraws in place and restores the cursor on any exit.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self, TextIO

Line = Callable[[int, int | None], str]  # (done, total) -> the plain line (its label included)


def on_terminal(stream: TextIO) -> bool:
    """Whether to draw a live bar on `stream`: a TTY, and not a CI job (whose log keeps every redraw)."""
    return stream.isatty() and not os.environ.get("CI")


class Progress:
    """`with Progress("import-har", total=n, every=5000, line=...) as p: p.advance()` (see the module doc).

    `every`: a plain line each time `done` crosses a multiple of it; `every_s`: at most one plain line per that many
    seconds (the default when `every` is not given). `note(text)`: a phase message (a plain line, or the bar's text)."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        every: int | None = None,
        every_s: float = 2.0,
        line: Line | None = None,
        stream: TextIO | None = None,
        live: bool | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self._every = every
        self._every_s = every_s
        self._line = line or _default_line(label)
        self._stream = stream or sys.stderr
        self._live = on_terminal(self._stream) if live is None else live
        self._shown_at = time.monotonic()
        self._bar = None
        self._task = None

    def __enter__(self) -> Self:
        if self._live:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            columns = [SpinnerColumn(), TextColumn("{task.description}")]
            if self.total is not None:
                columns += [BarColumn(), MofNCompleteColumn()]
            self._bar = RichProgress(*columns, TimeElapsedColumn(), console=Console(file=self._stream), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total)
        return self

    def advance(self, n: int = 1) -> None:
        before, self.done = self.done, self.done + n
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
            return
        if self._every is not None:
            if self.done // self._every > before // self._every:
                self._print(self._line(self.done - self.done % self._every, self.total))
        elif time.monotonic() - self._shown_at >= self._every_s:
            self._print(self._line(self.done, self.total))

    def note(self, text: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=f"{self.label}: {text}")
        else:
            self._print(f"{self.label}: {text}")

    def _print(self, text: str) -> None:
        self._shown_at = time.monotonic()
        print(text, file=self._stream, flush=True)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()


def _default_line(label: str) -> Line:
    def line(done: int, total: int | None) -> str:
        return f"{label}: {done} of {total} ({done * 100 // total}%)" if total else f"{label}: {done}"

    return line
