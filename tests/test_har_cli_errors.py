"""`braze-harness import-har` on bad input, run as the real CLI: a file that cannot be read is one line on stderr
and exit code 2 (never a traceback); an entry of a wrong shape is skipped and counted; `--jsonl` writes every
imported entry, whatever the journal's cap."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import REPO

BIN = REPO / ".venv" / "bin" / "braze-harness"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=60, env=env, cwd=REPO)


def entry(i: int, **request: Any) -> dict[str, Any]:
    body = {"api_key": "k-har", "device_id": f"dev-{i % 50}", "time": 1796000000, "events": []}
    req = {
        "method": "POST",
        "url": "https://sdk.iad-01.braze.com/api/v3/data/",
        "headers": [{"name": "content-type", "value": "application/json"}, {"name": "x-braze-api-key", "value": "k-har"}],
        "postData": {"mimeType": "application/json", "text": json.dumps(body)},
        **request,
    }
    return {
        "startedDateTime": "2026-11-30T10:00:00.000Z",
        "request": req,
        "response": {"status": 200, "headers": [], "content": {"mimeType": "application/json", "text": "{}"}},
    }


def har(entries: list[Any]) -> bytes:
    return json.dumps({"log": {"version": "1.2", "entries": entries}}).encode()


def assert_one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("braze-harness: error: "), done.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("corrupt.har.gz", b"\x1f\x8b" + b"not gzip at all" * 10, ["not a readable gzip file"]),
        ("truncated.har.gz", gzip.compress(har([entry(0)]))[:40], ["not a readable gzip file"]),
        ("garbage.har", b"\x00\xff{{ nope", ["is not JSON"]),
        ("list.har", b"[1, 2, 3]", ["is not a HAR (no log.entries list)"]),
        ("entries-object.har", b'{"log": {"entries": {"a": 1}}}', ["is not a HAR"]),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_file_that_is_not_a_har_is_one_line_and_exit_2(tmp_path: Path, name: str, content: bytes, words: list[str]) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert_one_line_error(cli("import-har", str(path)), str(path), *words)


def test_jsonl_into_a_missing_folder_is_one_line_and_exit_2_before_importing(tmp_path: Path) -> None:
    path = tmp_path / "ok.har"
    path.write_bytes(har([entry(0)]))
    out = tmp_path / "missing" / "out.jsonl"
    done = cli("import-har", str(path), "--jsonl", str(out))
    assert_one_line_error(done, "--jsonl", f"no folder {out.parent}")
    assert done.stdout == "" and not out.parent.exists()  # nothing imported, no folder made


def test_entries_of_a_wrong_shape_are_skipped_and_counted(tmp_path: Path) -> None:
    entries = [
        entry(0),
        entry(1, headers=42),  # headers neither a list nor an object
        entry(2, url="http://[::1/api/v3/data/"),  # an unparseable URL
        entry(3, url="https://sdk.iad-01.braze.com:99999/api/v3/data/"),  # a port out of range
        {"request": "GET /"},  # request not an object
        "not an entry",
        entry(6),
    ]
    path = tmp_path / "mixed.har"
    path.write_bytes(har(entries))
    out = tmp_path / "out.jsonl"
    done = cli("import-har", str(path), "--jsonl", str(out))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("2 Braze request(s) of 7 HAR entries")
    [skipped] = [line for line in done.stderr.splitlines() if "skipped" in line]
    assert skipped.startswith("import-har: skipped 5 malformed entries: entry 1: request.headers is a int, not a list;")
    assert "entry 2: request.url 'http://[::1/api/v3/data/' cannot be parsed" in skipped and "(2 more)" in skipped
    assert len(out.read_text().splitlines()) == 2


def test_every_entry_is_exported_past_the_journal_cap(tmp_path: Path) -> None:
    n = 30_000  # the journal keeps 20,000 by default; the export used to stop there, silently
    path = tmp_path / "big.har.gz"
    path.write_bytes(gzip.compress(har([entry(i) for i in range(n)]), compresslevel=1))
    out = tmp_path / "big.jsonl"
    done = cli("import-har", str(path), "--jsonl", str(out))
    assert done.returncode == 0, done.stderr
    with out.open("rb") as fh:
        assert sum(1 for _ in fh) == n
    progress = [line for line in done.stderr.splitlines() if line.startswith("import-har: ") and "imported" in line]
    assert progress[0] == f"import-har: 5000 of {n} Braze requests imported" and len(progress) == n // 5000
    assert f"exported {n} entries to {out}" in done.stderr
