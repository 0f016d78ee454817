"""Braze's CSV user import (dashboard: Audiences > Import Users) as the emulator reads it: the columns, the
identifiers, the type rules of a cell, and one row as the `/users/track` object it amounts to (docs/csv-import.md,
after https://www.braze.com/docs/user_guide/data/unification/user_data/import_users/csv/).

Read incrementally (`CsvReader.feed` takes text as it arrives), so a 500 MB file is never held whole. The
tokenizer is our own, not the `csv` module: whether a cell was quoted decides its type (a quoted `"19.99"` is a
string, an unquoted `19.99` a number), and the `csv` module does not say which cells were quoted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["attributes", "events"]
KINDS: tuple[Kind, ...] = ("attributes", "events")
MAX_BYTES: dict[Kind, int] = {"attributes": 500 * 1024 * 1024, "events": 50 * 1024 * 1024}  # Braze's maximum file sizes

IDENTIFIERS = ("external_id", "braze_id", "user_alias_name", "user_alias_label", "email", "phone")
# default attribute columns the emulator applies (as /users/track's standard attributes)
APPLIED_DEFAULTS = frozenset(
    {"first_name", "last_name", "email", "country", "dob", "gender", "home_city", "language", "phone", "email_subscribe",
     "push_subscribe", "time_zone"}
)  # fmt: skip
# default attribute columns Braze documents that the emulator does not import: named in the report, never taken for
# custom attributes
NOT_APPLIED_DEFAULTS = frozenset(
    {"email_open_tracking_disabled", "email_click_tracking_disabled", "date_of_first_session", "date_of_last_session",
     "subscription_group_id", "subscription_state"}
)  # fmt: skip
EVENT_COLUMNS = frozenset({"name", "time"})
_NAMING = frozenset({"external_id", "braze_id", "user_alias_name", "user_alias_label"})  # never attributes
_PROPERTY = re.compile(r"^(?P<event>.+)\.properties\.(?P<prop>.+)$")
_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?(\d+\.\d*|\.\d+)$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


class CsvFormatError(ValueError):
    """The file as a whole cannot be imported (no header, no identifier column, not UTF-8, ...)."""


@dataclass(frozen=True)
class Cell:
    text: str
    quoted: bool = False


@dataclass(frozen=True)
class RowIssue:
    """One row's problem. `error`: the row is skipped; `warning`: the row is imported without some values (as in
    Braze's error report)."""

    row: int  # the record's first line in the file (the header is line 1)
    message: str
    column: str | None = None
    severity: Literal["error", "warning"] = "error"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "severity": self.severity, "column": self.column, "message": self.message}


@dataclass
class Row:
    """One data row as the `/users/track` object it amounts to (an `attributes` or an `events` object)."""

    line: int
    obj: dict[str, Any]
    identifier: tuple[str, str]
    issues: list[RowIssue] = field(default_factory=list)


def typed(cell: Cell) -> Any:
    """A custom attribute's or event property's value by Braze's CSV type rules: quoted (double quotes, or single
    quotes around the whole value) is a string; `true`/`false` a boolean; an integer or a float with a `.` a number;
    anything else (ISO 8601 datetimes included, kept as given like /users/track's date strings) a string."""
    text = cell.text
    if cell.quoted:
        return text
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


class CsvReader:
    """Records from CSV text fed in pieces: `feed(text)` yields every complete record, `finish()` the last one.
    A record is `(first line number, cells)`; a quoted cell may span lines; blank lines are counted and skipped."""

    def __init__(self) -> None:
        self._pending = ""  # an incomplete line, or a record whose quotes are still open
        self._line = 0  # lines consumed so far
        self.blank_lines = 0

    def feed(self, text: str) -> Iterator[tuple[int, list[Cell]]]:
        if self._line == 0 and not self._pending and text.startswith("\ufeff"):
            text = text[1:]  # the byte-order mark spreadsheet programs write
        data = self._pending + text
        start = 0
        while True:
            end = data.find("\n", start)
            if end < 0:
                break
            piece = data[start : end + 1]
            if piece.count('"') % 2 and not self._closes(data, start, end):
                # an open quoted cell: the record continues on the next line
                nxt = self._record_end(data, start)
                if nxt < 0:
                    break
                end = nxt
            record = data[start : end + 1]
            start = end + 1
            yield from self._emit(record)
        self._pending = data[start:]

    def finish(self) -> Iterator[tuple[int, list[Cell]]]:
        if self._pending:
            record, self._pending = self._pending, ""
            if record.count('"') % 2:
                raise CsvFormatError(f"line {self._line + 1}: a quoted value is never closed (unbalanced double quote)")
            yield from self._emit(record)

    @staticmethod
    def _closes(data: str, start: int, end: int) -> bool:
        return data.count('"', start, end + 1) % 2 == 0

    @staticmethod
    def _record_end(data: str, start: int) -> int:
        """The end (a newline outside quotes) of the record starting at `start`; -1 if not in `data` yet."""
        inside = False
        for i in range(start, len(data)):
            char = data[i]
            if char == '"':
                inside = not inside
            elif char == "\n" and not inside:
                return i
        return -1

    def _emit(self, record: str) -> Iterator[tuple[int, list[Cell]]]:
        first = self._line + 1
        self._line += record.count("\n") or 1
        body = record[:-1] if record.endswith("\n") else record
        if body.endswith("\r"):
            body = body[:-1]
        if not body.strip():
            self.blank_lines += 1
            return
        yield first, _cells(body, first)


def _cells(body: str, line: int) -> list[Cell]:
    if '"' not in body:
        return [Cell(text) for text in body.split(",")]  # the common case, no quoting
    cells: list[Cell] = []
    i, n = 0, len(body)
    while True:
        if i < n and body[i] == '"':
            i += 1
            chunks = []
            while True:
                close = body.find('"', i)
                if close < 0:
                    raise CsvFormatError(f"line {line}: a quoted value is never closed (unbalanced double quote)")
                chunks.append(body[i:close])
                if close + 1 < n and body[close + 1] == '"':  # "" is an escaped quote
                    chunks.append('"')
                    i = close + 2
                    continue
                i = close + 1
                break
            if i < n and body[i] != ",":
                raise CsvFormatError(f'line {line}: text after a closing double quote (escape a quote inside a value as "")')
            cells.append(Cell("".join(chunks).replace("\r\n", "\n"), quoted=True))
        else:
            comma = body.find(",", i)
            end = n if comma < 0 else comma
            cells.append(Cell(body[i:end]))
            i = end
        if i >= n:
            return cells
        i += 1  # the comma
        if i == n:
            cells.append(Cell(""))
            return cells


@dataclass(frozen=True)
class Header:
    """The header row, checked: which identifier the file uses, and what each column is."""

    kind: Kind
    columns: tuple[str, ...]
    identifier: str  # external_id | braze_id | user_alias | email | phone
    not_applied: tuple[str, ...]  # default attributes the emulator does not import (reported)

    @classmethod
    def read(cls, cells: list[Cell], kind: Kind) -> Header:
        columns = tuple(c.text.strip() for c in cells)
        if not any(columns):
            raise CsvFormatError("the first line must be the header row (column names)")
        seen: set[str] = set()
        for name in columns:
            if not name:
                raise CsvFormatError("the header has an empty column name")
            if name in seen:
                raise CsvFormatError(f"column {name!r} appears twice in the header")
            seen.add(name)
        has_alias = {"user_alias_name", "user_alias_label"} & seen
        if has_alias and has_alias != {"user_alias_name", "user_alias_label"}:
            raise CsvFormatError("user_alias_name and user_alias_label go together: the file has only one of them")
        if "external_id" in seen and has_alias:
            raise CsvFormatError("one CSV cannot contain both external_id and user aliases: import them as two files")
        identifier = next(
            (
                i
                for i in ("external_id", "braze_id", "user_alias", "email", "phone")
                if (i in seen or (i == "user_alias" and has_alias))
            ),
            None,
        )
        if identifier is None:
            raise CsvFormatError("no identifier column: the header needs external_id, braze_id, user_alias_name + "
                                 "user_alias_label, email or phone")  # fmt: skip
        if kind == "events":
            missing = sorted(EVENT_COLUMNS - seen)
            if missing:
                raise CsvFormatError(f"an events CSV needs the columns name and time: missing {', '.join(missing)}")
            odd = [c for c in columns if c not in IDENTIFIERS and c not in EVENT_COLUMNS and not _PROPERTY.match(c)]
            if odd:
                raise CsvFormatError(f"column {odd[0]!r} is not an events CSV column (identifiers, name, time, "
                                     "<event>.properties.<property>)")  # fmt: skip
        not_applied = tuple(c for c in columns if c in NOT_APPLIED_DEFAULTS) if kind == "attributes" else ()
        return cls(kind, columns, identifier, not_applied)

    def row(self, line: int, cells: list[Cell]) -> Row | RowIssue:
        """One data row as a /users/track object, or the error that skips it."""
        if len(cells) != len(self.columns):
            return RowIssue(line, f"malformed row: {len(cells)} cells where the header has {len(self.columns)}")
        values = dict(zip(self.columns, cells, strict=True))
        who = self._identify(values)
        if isinstance(who, str):
            return RowIssue(line, who, column=self._id_column())
        obj, identifier = who
        row = Row(line, obj, identifier)
        if self.kind == "attributes":
            for column, cell in values.items():
                if not cell.text or column in _NAMING or column == self.identifier or column in NOT_APPLIED_DEFAULTS:
                    continue  # blank values never overwrite; not-applied columns are named once (Header.not_applied)
                obj[column] = cell.text if column in APPLIED_DEFAULTS else typed(cell)
            return row
        return self._event(row, values)

    def _id_column(self) -> str:
        return "user_alias_name" if self.identifier == "user_alias" else self.identifier

    def _identify(self, values: dict[str, Cell]) -> tuple[dict[str, Any], tuple[str, str]] | str:
        if self.identifier == "user_alias":
            name, label = values["user_alias_name"].text, values["user_alias_label"].text
            if not name or not label:
                return "user_alias_name and user_alias_label are both needed on every row"
            return {"user_alias": {"alias_name": name, "alias_label": label}}, ("user_alias", f"{label}:{name}")
        value = values[self.identifier].text.strip()
        if not value:
            return f"no {self.identifier} on this row"
        return {self.identifier: value}, (self.identifier, value)

    def _event(self, row: Row, values: dict[str, Cell]) -> Row | RowIssue:
        name, when = values["name"].text, values["time"].text
        if not name:
            return RowIssue(row.line, "no event name", column="name")
        if not when:
            return RowIssue(row.line, "no event time", column="time")
        if not _DATETIME.match(when):
            return RowIssue(row.line, f"time {when!r} is not ISO 8601 (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)", column="time")
        properties: dict[str, Any] = {}
        for column, cell in values.items():
            match = _PROPERTY.match(column)
            if match is None or not cell.text:
                continue
            if match["event"] != name:
                message = f"a value for event {match['event']!r} on a row of event {name!r}: not imported"
                row.issues.append(RowIssue(row.line, message, column=column, severity="warning"))
                continue
            properties[match["prop"]] = typed(cell)
        row.obj.update({"name": name, "time": when})
        if properties:
            row.obj["properties"] = properties
        return row
