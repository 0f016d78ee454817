"""Fixtures shared by the harness's own tests."""

import pytest
from braze_harness.emulator.http.server import EmulatorServer

from tests.support.virtual_lab import VirtualLab


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
