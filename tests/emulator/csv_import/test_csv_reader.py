"""Braze's CSV user import format, read in pieces: quoting decides types, blank cells never overwrite, a bad row is
one error and its neighbours import (docs/csv-import.md)."""

from __future__ import annotations

import pytest
from braze_harness.protocol.csv_users import Cell, CsvFormatError, CsvReader, Header, RowIssue, typed
from hypothesis import given
from hypothesis import strategies as st


def _records(text: str, piece: int = 5) -> list[tuple[int, list[Cell]]]:
    reader = CsvReader()
    out = []
    for i in range(0, len(text), piece):
        out += list(reader.feed(text[i : i + piece]))
    return out + list(reader.finish())


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        (Cell("19.99"), 19.99),
        (Cell("19.99", quoted=True), "19.99"),
        (Cell("'42'"), "42"),
        (Cell("42"), 42),
        (Cell("-3"), -3),
        (Cell("TRUE"), True),
        (Cell("false"), False),
        (Cell("1,5"), "1,5"),  # a comma is no decimal separator
        (Cell("1 000"), "1 000"),
        (Cell("2024-01-02T03:04:05Z"), "2024-01-02T03:04:05Z"),
        (Cell("true", quoted=True), "true"),
    ],
)
def test_a_cell_is_typed_by_brazes_rules(cell, value):
    assert typed(cell) == value and type(typed(cell)) is type(value)


def test_quotes_commas_line_breaks_and_a_bom_in_any_piece_size():
    text = '\ufeffexternal_id,note,score\r\nu1,"a, ""b""",1\r\nu2,"two\nlines",2.5\n\nu3,,\n'
    for piece in (1, 2, 3, 7, 64):
        records = _records(text, piece)
        assert [line for line, _ in records] == [1, 2, 3, 6]
        assert records[1][1] == [Cell("u1"), Cell('a, "b"', quoted=True), Cell("1")]
        assert records[2][1][1] == Cell("two\nlines", quoted=True)
        assert records[3][1] == [Cell("u3"), Cell(""), Cell("")]


def test_an_unclosed_quote_is_a_file_error_naming_its_line():
    with pytest.raises(CsvFormatError, match="line 2: a quoted value is never closed"):
        _records('external_id,a\nu1,"open\n')


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("first_name,email_x", "no identifier column"),
        ("external_id,user_alias_name,user_alias_label", "both external_id and user aliases"),
        ("user_alias_name,first_name", "go together"),
        ("external_id,a,a", "appears twice"),
    ],
)
def test_a_bad_header_is_one_line_naming_the_column(header, message):
    with pytest.raises(CsvFormatError, match=message):
        Header.read(_records(header + "\n")[0][1], "attributes")


def test_an_attribute_row_becomes_a_track_object():
    header = Header.read(_records("external_id,first_name,email,tier,visits,subscription_state\n")[0][1], "attributes")
    assert header.identifier == "external_id" and header.not_applied == ("subscription_state",)
    row = header.row(2, _records("u1,123,u1@example.com,,7,subscribed\n")[0][1])
    # a default attribute keeps its text (first_name "123" is a name); blank cells are left out
    assert row.obj == {"external_id": "u1", "first_name": "123", "email": "u1@example.com", "visits": 7}
    bad = header.row(3, [Cell("u2"), Cell("x")])
    assert bad == RowIssue(3, "malformed row: 2 cells where the header has 6")
    assert header.row(4, [Cell(""), *[Cell("x")] * 5]) == RowIssue(4, "no external_id on this row", column="external_id")


def test_an_event_row_takes_only_its_own_properties():
    header = Header.read(_records("external_id,name,time,trip.properties.city,buy.properties.sku\n")[0][1], "events")
    row = header.row(2, _records("u1,trip,2024-06-10T12:00:00Z,Oslo,A1\n")[0][1])
    assert row.obj == {"external_id": "u1", "name": "trip", "time": "2024-06-10T12:00:00Z", "properties": {"city": "Oslo"}}
    assert [i.severity for i in row.issues] == ["warning"] and row.issues[0].column == "buy.properties.sku"
    late = header.row(3, _records("u1,trip,yesterday,,\n")[0][1])
    assert isinstance(late, RowIssue) and "not ISO 8601" in late.message
    with pytest.raises(CsvFormatError, match="not an events CSV column"):
        Header.read(_records("external_id,name,time,city\n")[0][1], "events")


CELLS = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8)


@given(st.lists(st.lists(CELLS, min_size=3, max_size=3), max_size=6), st.integers(min_value=1, max_value=9))
def test_any_quoted_table_reads_back_cell_for_cell(rows, piece):
    """Every table written with every cell quoted (quotes doubled) reads back exactly, whatever the piece size."""
    text = "".join(",".join('"' + c.replace('"', '""') + '"' for c in row) + "\n" for row in rows)
    records = _records(text, piece)
    assert [[c.text for c in cells] for _, cells in records] == [[c.replace("\r\n", "\n") for c in row] for row in rows]
