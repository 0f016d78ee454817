"""`VirtualLab`: an embedded emulator scope with virtual devices on it, for the harness's own tests and scripts.

with EmulatorServer() as server:
    lab = VirtualLab(server, "my-test")
    phone = lab.device("android")
    phone.open_session()
    lab.expect.session_start(device=phone.device_id).within()
    assert lab.wire_problems() == []
"""

from __future__ import annotations

from typing import Any

from braze_harness.devices.virtual.device import VirtualDevice
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.expect import Expect, JournalSource
from braze_harness.journal import JournalEntry, Query
from braze_harness.protocol import Problem


class VirtualLab:
    """One scope on an in-process `EmulatorServer`: its api keys (one app per platform), its devices,
    `expect` over its journal and profiles."""

    def __init__(self, server: EmulatorServer, name: str = "virtual", *, timeout: float = 5.0) -> None:
        self.server = server
        self.emulator = server.emulator
        self.scope = self.emulator.create_scope(name)
        source = JournalSource(self.emulator.journal, self.scope, self.emulator.state, messaging=self.emulator.messaging)
        self.expect = Expect(source, default_timeout=timeout)
        self._keys: dict[tuple[str, str], str] = {}
        self.devices: list[VirtualDevice] = []

    def api_key(self, platform: str, workspace: str = "test") -> str:
        key = (workspace, platform)
        if key not in self._keys:
            self._keys[key] = self.emulator.create_app(self.scope, workspace=workspace, platform=platform)["api_key"]
        return self._keys[key]

    def rest_key(self, workspace: str = "test", permissions: list[str] | None = None) -> str:
        """A REST API key of one of this scope's workspaces (`permissions` None: all)."""
        return self.emulator.rest.create_key(self.scope, workspace, permissions).key

    def device(self, platform: str = "android", *, base_url: str | None = None, **options: Any) -> VirtualDevice:
        """A virtual device on this scope's app for `platform` (its device id claimed by the scope)."""
        options.setdefault("api_key", self.api_key(platform))
        device = VirtualDevice(platform, base_url=base_url or self.server.url, **options)
        self.emulator.claim_devices(self.scope, [device.device_id])
        self.devices.append(device)
        return device

    def entries(self, **query: Any) -> list[JournalEntry]:
        return self.emulator.journal.query(Query(scope=self.scope, **query))

    def wire_problems(self) -> list[tuple[int, Problem]]:
        """Every decoder problem (error or drift) in this scope's journal, by journal seq: [] when clean."""
        return [(e.seq, p) for e in self.entries() for p in e.request.problems]

    def profiles(self, **selector: str) -> list[dict[str, Any]]:
        return self.emulator.profiles(scope=self.scope, **selector)

    def close(self) -> None:
        for device in self.devices:
            device.close()
