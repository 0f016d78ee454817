"""The call recording benchmark on a few calls: every call recorded and sent, figures written."""

import json

from benchmarks.call_recording import main


def test_small_call_recording_benchmark_sends_every_call(tmp_path):
    out = tmp_path / "calls.json"
    assert main(["--calls", "300", "--out", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert figures["posted"] == 300 and figures["ok"] is True
    assert 0 < figures["sent_per_call_batched_us"] < figures["sent_per_call_one_request_each_us"]
