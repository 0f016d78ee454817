"""Fixtures shared by the harness's own tests."""

import pytest
from braze_harness.emulator.http.server import EmulatorServer

from tests.support.postgres import PostgresServer, find_bin_dir
from tests.support.virtual_lab import VirtualLab


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server of this test session's own (initdb into a temporary folder, a free loopback port)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL's binaries (initdb, pg_ctl) are not installed: apt-get install postgresql-15 (./qa setup does)")
    server = PostgresServer.start(bin_dir)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server():
    """An emulator on an ephemeral loopback port, one per test module."""
    with EmulatorServer() as srv:
        yield srv


@pytest.fixture
def lab(server, request):
    """Virtual devices in a scope of their own; nothing any device sent may carry a decoder problem."""
    lab = VirtualLab(server, request.node.name[:30])
    yield lab
    lab.close()
    assert lab.wire_problems() == []
    assert all(d.wire_problems == [] for d in lab.devices)
