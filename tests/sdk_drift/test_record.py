"""`braze-harness record-sdk`: the drift flow's traffic on the real SDK in Chromium, written as a recording that
replays like the committed ones (tests/data/recordings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO
from tests.support.recordings import RECORDINGS


def test_record_sdk_writes_what_the_committed_recording_holds(tmp_path: Path) -> None:
    out = tmp_path / "web-6.13.0.json"
    run = subprocess.run(
        [sys.executable, "-m", "braze_harness.cli", "record-sdk", "6.13.0", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("recorded Web SDK 6.13.0: ") and str(out) in run.stdout
    fresh, kept = json.loads(out.read_text()), json.loads((RECORDINGS / "web-6.13.0.json").read_text())
    assert {k: fresh[k] for k in ("sdk", "version", "recorded_with", "user", "steps", "failed_steps")} == {
        k: kept[k] for k in ("sdk", "version", "recorded_with", "user", "steps", "failed_steps")
    }

    # the same requests, with the same headers and fields (values differ: ids, times; two requests sent at once
    # may arrive in either order, so the lists are compared sorted)
    def requests(rec: dict) -> list[tuple[str, str, list[str], list[str]]]:
        return sorted((x["method"], x["path"], sorted(x["headers"]), sorted(x["body"])) for x in rec["exchanges"])

    assert requests(fresh) == requests(kept)
    assert all(x["response"]["status"] == 200 and "host" not in x["headers"] for x in fresh["exchanges"])
