"""The CSV import benchmark on a small file: every row imported, the sampled users match, figures written."""

import json

from benchmarks.csv_import import main


def test_small_csv_import_benchmark_imports_every_row(tmp_path):
    out = tmp_path / "csv.json"
    assert main(["--rows", "300", "--out", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert figures["imported"] == 300 and figures["ok"] is True and figures["csv_import_users_per_s"] > 0
