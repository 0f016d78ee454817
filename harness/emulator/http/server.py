"""Run the emulator with uvicorn: in a background thread (pytest plugin, tests) or in the foreground (CLI).

uvicorn (with uvloop and httptools) is maintained, fast, and embeds in a background thread of the pytest
process; the fast path (`fastpath.py`) answers plain SDK POSTs from its HTTP parser, everything else goes
through the ASGI app (`asgi.py`).
"""

from __future__ import annotations

import asyncio
import gc
import secrets
import socket
import threading
from collections.abc import Callable, Iterable

import uvicorn
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.http.asgi import EmulatorASGI
from braze_harness.emulator.http.fastpath import FreezePolicy, protocol_class
from braze_harness.emulator.http.request_log import Log
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.errors import HarnessConfigError
from braze_harness.journal import JournalEntry


def _config(
    emulator: Emulator, sock_port: int, gc_policy: FreezePolicy | None = None, request_log: Log | None = None
) -> uvicorn.Config:
    app = EmulatorASGI(emulator)
    app.sdk.log = request_log
    return uvicorn.Config(
        app,
        host=emulator.settings.host,
        port=sock_port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        loop="uvloop",
        http=protocol_class(app.sdk, gc_policy),
        timeout_keep_alive=30,
    )


class _Server(uvicorn.Server):
    """uvicorn's server, ending the dashboard's open streams first when it stops (they would hold its stop)."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        app = self.config.app
        if isinstance(app, EmulatorASGI):
            app.streams.end_all()
        await super().shutdown(sockets)


def is_loopback_host(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def control_token_for(host: str, given: str | None) -> tuple[str | None, bool]:
    """(the control API's token, whether it was generated here): beyond loopback there is always one
    (docs/security.md); on loopback only the one given."""
    if given:
        return given, False
    if is_loopback_host(host):
        return None, False
    return secrets.token_urlsafe(24), True


def check_loopback(host: str, allow_remote: bool = False) -> None:
    if allow_remote:
        return
    if not is_loopback_host(host):
        raise HarnessConfigError(
            f"refusing to listen on {host}: the emulator binds loopback only (pass --allow-remote to override)"
        )


class EmulatorServer:
    """`with EmulatorServer() as server: server.url` — an emulator on an ephemeral loopback port."""

    def __init__(self, settings: EmulatorSettings | None = None, emulator: Emulator | None = None) -> None:
        self.emulator = emulator or Emulator(settings or EmulatorSettings(port=0))
        check_loopback(self.emulator.settings.host)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        host = self.emulator.settings.host
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        settings = self.emulator.settings
        sock = bind(settings.host, settings.port)
        self.port = sock.getsockname()[1]
        self._server = _Server(_config(self.emulator, self.port))
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # not the main thread

        def run() -> None:
            asyncio.run(self._server.serve(sockets=[sock]))  # type: ignore[union-attr]

        self._thread = threading.Thread(target=run, name="braze-emulator", daemon=True)
        self._thread.start()
        ready = threading.Event()
        while not ready.wait(0.01):
            if self._server.started:
                break
            if not self._thread.is_alive():
                raise RuntimeError("the emulator server thread died during start-up")
            timeout -= 0.01
            if timeout <= 0:
                raise RuntimeError("the emulator did not start within its timeout")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self.emulator.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def bind(host: str, port: int, hint: str = "") -> socket.socket:
    """The server's socket, bound (port 0: any free one), or one line saying why it cannot be."""
    # IPPROTO_TCP explicitly: uvicorn only sets TCP_NODELAY on TCP sockets it recognises as such,
    # and without it every keep-alive request waits ~40 ms on Nagle + delayed ACK
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise HarnessConfigError(f"cannot listen on {host}:{port}: {exc.strerror}{hint}") from None
    return sock


def serve_forever(
    settings: EmulatorSettings,
    allow_remote: bool = False,
    *,
    on_listening: Callable[[int], None] | None = None,
    request_log: Log | None = None,
    restore: Iterable[JournalEntry] = (),
) -> None:
    """Foreground server for the CLI (Ctrl-C stops it): `on_listening(port)` once the socket is bound (the real
    port when `settings.port` is 0), `request_log` called per request, `restore`: entries saved earlier that its
    journal starts with (`braze-harness journal serve`)."""
    check_loopback(settings.host, allow_remote)
    if settings.control_token is None and not is_loopback_host(settings.host):
        raise HarnessConfigError(f"refusing to serve the control API on {settings.host} without a control token")
    sock = bind(settings.host, settings.port, " (another emulator running? try --port)")
    try:
        emulator = Emulator(settings)
        restore = list(restore)
        if restore:  # `braze-harness journal serve`: an in-memory journal's
            emulator.journal.restore(restore)  # type: ignore[attr-defined]
    except BaseException:
        sock.close()
        raise
    # this process is the emulator's alone: start-up objects (modules, schemas) and then, as it grows,
    # the state are frozen out of the collector's full passes (an in-process EmulatorServer leaves the
    # host process's GC alone)
    port = sock.getsockname()[1]
    config = _config(emulator, port, FreezePolicy(FREEZE_EVERY), request_log)
    config.load()
    gc.collect()
    gc.freeze()
    try:
        if on_listening is not None:
            on_listening(port)
        _Server(config).run(sockets=[sock])
    finally:
        sock.close()
        emulator.close()


FREEZE_EVERY = 500  # SDK requests between two gc.freeze() calls in the CLI server
