"""`braze-harness import-users FILE` against a running emulator: the summary, the failed rows, `--errors`, exit
codes, and one line for a user's mistake."""

from __future__ import annotations

import csv
import subprocess
import sys


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "braze_harness.cli", *args], capture_output=True, text=True, timeout=120)


def test_a_file_with_a_bad_row_is_imported_and_the_row_named(server, lab, tmp_path):
    users = tmp_path / "users.csv"
    users.write_text("external_id,first_name,score\nann,Ann,5\nben,Ben\n")
    errors = tmp_path / "errors.csv"
    key = lab.api_key("web")
    result = _cli("import-users", str(users), "--api-key", key, "--emulator", server.url, "--errors", str(errors))
    assert result.returncode == 1, result.stderr
    assert "users.csv: 2 row(s), 1 imported, 1 skipped" in result.stdout
    assert "row 3: error: malformed row: 2 cells where the header has 3" in result.stdout
    assert list(csv.DictReader(errors.open())) == [
        {"row": "3", "severity": "error", "column": "", "message": "malformed row: 2 cells where the header has 3"}
    ]
    assert lab.profiles(external_id="ann")[0]["attributes"]["custom"] == {"score": 5}
    clean = tmp_path / "clean.csv"
    clean.write_text("external_id,name,time\nann,opened,2024-01-01T00:00:00Z\n")
    result = _cli("import-users", str(clean), "--api-key", key, "--emulator", server.url, "--events")
    assert result.returncode == 0 and "1 imported, 0 skipped" in result.stdout
    assert lab.profiles(external_id="ann")[0]["custom_events"] == {"opened": 1}


def test_mistakes_are_one_line(server, lab, tmp_path):
    missing = _cli("import-users", str(tmp_path / "nope.csv"), "--api-key", "k", "--emulator", server.url)
    assert missing.returncode == 2 and missing.stderr.strip().endswith("no such file: " + str(tmp_path / "nope.csv"))
    empty = tmp_path / "empty.csv"
    empty.write_text("first_name\nAda\n")
    refused = _cli("import-users", str(empty), "--api-key", lab.api_key("web"), "--emulator", server.url)
    assert refused.returncode == 1 and "no identifier column" in refused.stderr and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
