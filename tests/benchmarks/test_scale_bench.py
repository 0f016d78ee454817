"""The scale benchmark's verdicts (none lost, no cross-talk) must catch what they claim to catch."""

from braze_harness.client import EmulatorClient

from benchmarks.scale import drive, prepare, verify


def test_clean_parallel_run_verifies(server):
    client = EmulatorClient(server.url)
    shared = client.create_app(client.create_scope("scale-t-shared"), platform="android")["api_key"]
    runs = prepare(client, server.url, 4, shared, "scale-t-ok")
    drive(runs, 6, 1)
    assert verify(client, runs, 6, 1) == []
    assert {r.api_key for r in runs[2:]} == {shared}  # half of them are told apart by device claim only


def test_cross_talk_and_loss_are_reported(server):
    client = EmulatorClient(server.url)
    runs = prepare(client, server.url, 2, None, "scale-t-bad")
    client.claim_devices(runs[0].scope, [runs[1].device.device_id])  # device 1 now lands in scope 0
    drive(runs, 3, 0)
    problems = "\n".join(verify(client, runs, 3, 0))
    assert "cross-talk: journal entry" in problems and runs[1].device.device_id in problems
    assert "device 1 (ios" in problems and "0 bench events journaled, missing [0, 1, 2]" in problems


def test_push_round_counts_one_open_per_scope_and_reports_a_misdirected_push(server):
    from benchmarks.scale import push_round

    client = EmulatorClient(server.url)
    runs = prepare(client, server.url, 3, None, "scale-t-push")
    drive(runs, 2, 0)
    *_, problems = push_round(client, runs)
    assert problems == [] and all(r.failures == [] for r in runs)
    runs[2].user = runs[0].user  # scope 2 sends to a user it does not have: nothing reaches its device
    _, _, problems = push_round(client, runs)
    assert [p for p in problems if p.startswith("device 2")] == ["device 2: push went to []"]
    assert runs[2].failures == ["outbox held []"] and runs[0].failures == []
