"""HAProxy in front of two `braze-harness emulator --store` replicas (braze_harness.emulator.balancer): requests
alternate between the replicas, a replica that is down is skipped, and the control API client says (instead of
silently seeding one replica) when what a test seeds stays on one replica of the fleet."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

import httpx
import pytest
from braze_harness.client import EmulatorClient
from braze_harness.emulator.balancer import Replica, haproxy_config
from braze_harness.errors import HarnessConfigError, PerReplicaLimitation

from tests.support.fleet import Fleet
from tests.support.inner_pytest import forget_outer_run, run_inner
from tests.test_cli import COMMAND, cli, free_port, refused

pytest_plugins = ["pytester"]

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
needs_haproxy = pytest.mark.skipif(
    not os.path.exists(HAPROXY), reason="HAProxy is not installed: apt-get install haproxy (./qa setup does)"
)


@pytest.fixture(scope="module")
def fleet(postgres_server):
    with Fleet.start(postgres_server.dsn, replicas=2) as running:
        yield running


@needs_haproxy
def test_the_config_is_one_haproxy_accepts(tmp_path):
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config([Replica.parse("127.0.0.1:9090"), Replica.parse("http://[::1]:9091")], port=9000))
    done = subprocess.run([HAPROXY, "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "server replica2 [::1]:9091 check" in config.read_text()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["10.1.2.3:9090"], "refusing to forward to 10.1.2.3: the balancer is loopback only (pass --allow-remote to override)"),
        (["127.0.0.1:9090", "--host", "0.0.0.0"], "refusing to listen on 0.0.0.0: the balancer is loopback only"),
        (["127.0.0.1"], "replica '127.0.0.1': expected HOST:PORT or http://HOST:PORT, e.g. 127.0.0.1:9090"),
    ],
)
def test_a_mistake_is_one_line(args, error):
    done = cli("balancer", *args, "--print-config")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"braze-harness: error: {error}")


def test_no_replica_is_an_error():
    with pytest.raises(HarnessConfigError, match="at least one replica"):
        haproxy_config([], port=9000)


@needs_haproxy
def test_requests_alternate_between_the_replicas(fleet):
    with httpx.Client(base_url=fleet.url, trust_env=False, timeout=10) as http:
        seen = {http.get("/_emulator/health").json()["replica"] for _ in range(6)}
    assert len(seen) == 2


@needs_haproxy
def test_what_a_replica_keeps_to_itself_is_refused_through_the_balancer_and_allowed_on_one_replica(fleet):
    through = EmulatorClient(fleet.url)
    scope = through.create_scope("per-replica")
    with pytest.raises(PerReplicaLimitation, match=r"^faults: kept per replica, and http://127\.0\.0\.1:\d+ reaches several"):
        through.add_fault(scope, endpoint="data", status=503)
    assert set(through.per_replica()) == {"messaging", "faults", "sdk_auth", "rest_keys", "clocks", "push"}
    direct = EmulatorClient(fleet.replicas[0].url)  # one replica: its faults meet every request it receives
    assert direct.add_fault(scope, endpoint="data", status=503)["remaining"] is None
    for client in (through, direct):
        client.close()


@needs_haproxy
def test_the_balancer_command_runs_in_the_foreground_until_interrupted(fleet):
    port = free_port()
    replicas = [f"127.0.0.1:{r.port}" for r in fleet.replicas]
    proc = subprocess.Popen([*COMMAND, "balancer", *replicas, "--port", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once a request through it reached a replica
        assert line.startswith(f"balancer on http://127.0.0.1:{port} -> {', '.join(replicas)} (HAProxy")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=10) as http:
            assert len({http.get("/_emulator/health").json()["replica"] for _ in range(4)}) == 2
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
    assert refused(port)  # HAProxy went with it


@needs_haproxy
def test_a_suite_test_seeding_a_per_replica_part_is_skipped_with_the_reason(fleet, pytester, monkeypatch):
    forget_outer_run(monkeypatch)
    pytester.makepyfile(
        """
        def test_with_a_fault(braze):
            braze.fault("data", status=503, times=1)
            raise AssertionError("not reached: the fault cannot be seeded through the fleet")

        def test_without(braze):
            assert braze.profiles() == []
        """
    )
    result = run_inner(pytester, "-rs", "--braze-emulator-url", fleet.url)
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines([f"SKIPPED * faults: kept per replica, and {fleet.url} reaches several replicas of a fleet*"])
