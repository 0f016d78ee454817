"""A CSV user import (the dashboard's Audiences > Import Users) run against one app's workspace, fed as the
bytes arrive: decoded as UTF-8, read into rows (`braze_harness.protocol.csv_users`), applied 75 rows at a time
under the emulator's lock (other traffic is served between batches), and summed up in a report with one line per
failed row (docs/csv-import.md). Nothing is held whole: a 500 MB file costs one batch of memory."""

from __future__ import annotations

import codecs
import threading
from dataclasses import dataclass, field
from typing import Any

from braze_harness.emulator.state.workspaces import App
from braze_harness.emulator.stores import StateStore
from braze_harness.protocol.csv_users import MAX_BYTES, CsvFormatError, CsvReader, Header, Kind, Row, RowIssue

BATCH_ROWS = 75  # one /users/track batch
MAX_ISSUES_LISTED = 1000  # the report lists this many row issues; it always counts all of them


class CsvTooLarge(CsvFormatError):
    """Over Braze's maximum file size for the kind of import."""


@dataclass
class CsvImportReport:
    kind: Kind
    rows: int = 0  # data rows read (blank lines not counted)
    imported: int = 0
    skipped: int = 0  # rows with an error: not applied
    warnings: int = 0  # rows applied without some of their values
    blank_lines: int = 0
    duplicates: int = 0  # rows naming a user an earlier row named (applied in file order)
    bytes: int = 0
    not_applied_columns: list[str] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    issues_total: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class CsvImport:
    def __init__(
        self, state: StateStore, lock: threading.RLock, app: App, kind: Kind, *, update_existing_only: bool = False
    ) -> None:
        self._state, self._lock, self._app = state, lock, app
        self._update_existing_only = update_existing_only
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._reader = CsvReader()
        self._header: Header | None = None
        self._batch: list[Row] = []
        self._seen: set[tuple[str, str]] = set()
        self.report = CsvImportReport(kind)

    def feed(self, chunk: bytes) -> None:
        """Take the next bytes of the file; CsvFormatError when the file as a whole cannot be imported."""
        self.report.bytes += len(chunk)
        if self.report.bytes > MAX_BYTES[self.report.kind]:
            limit = MAX_BYTES[self.report.kind] // (1024 * 1024)
            raise CsvTooLarge(f"the file is over {limit} MB, Braze's maximum for a CSV {self.report.kind} import")
        try:
            text = self._decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            at = self.report.bytes - len(chunk) + exc.start
            raise CsvFormatError(f"the file is not UTF-8 (byte {at}): save it as UTF-8 and import it again") from None
        for line, cells in self._reader.feed(text):
            self._record(line, cells)

    def finish(self) -> CsvImportReport:
        try:
            text = self._decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise CsvFormatError("the file is not UTF-8 (it ends inside a character)") from None
        for line, cells in [*self._reader.feed(text), *self._reader.finish()]:
            self._record(line, cells)
        if self._header is None:
            raise CsvFormatError("the file is empty: the first line must be the header row")
        self._flush()
        self.report.blank_lines = self._reader.blank_lines
        return self.report

    def _record(self, line: int, cells: list[Any]) -> None:
        if self._header is None:
            self._header = Header.read(cells, self.report.kind)
            self.report.not_applied_columns = list(self._header.not_applied)
            return
        self.report.rows += 1
        parsed = self._header.row(line, cells)
        if isinstance(parsed, RowIssue):
            self._issue(parsed)
            self.report.skipped += 1
            return
        if parsed.identifier in self._seen:
            self.report.duplicates += 1
        elif self.report.kind == "attributes":
            self._seen.add(parsed.identifier)  # events: many rows per user are the norm
        self._batch.append(parsed)
        if len(self._batch) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        if not batch:
            return
        with self._lock:
            failed = self._state.import_rows(self._app, self.report.kind, batch, update_existing_only=self._update_existing_only)
        failed_lines = {issue.row for issue in failed}
        for issue in failed:
            self._issue(issue)
        self.report.skipped += len(failed_lines)
        self.report.imported += len(batch) - len(failed_lines)
        for row in batch:
            if row.issues and row.line not in failed_lines:
                self.report.warnings += 1
                for issue in row.issues:
                    self._issue(issue)

    def _issue(self, issue: RowIssue) -> None:
        self.report.issues_total += 1
        if len(self.report.issues) < MAX_ISSUES_LISTED:
            self.report.issues.append(issue.as_dict())
