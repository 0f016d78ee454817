"""Run mitmproxy with the Braze addon: in process (DumpMaster in a thread) or as a `mitmdump` subprocess.

Both use a per-run temporary confdir (the CA is generated there, key 0600, removed at stop) unless
one is given, and listen on loopback (port 0 = an ephemeral port, read back once listening).

In process (docs/tooling.md, mitmproxy-in-process): mitmproxy's `Master` sets the global `mitmproxy.ctx.master`, so only
one proxy may run per process at a time (enforced here), and `master.shutdown()` leaves the listening
sockets open, so `stop()` first closes them with `proxyserver.servers.update([])`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import re
import subprocess
import sys
import threading
import time
import warnings
import weakref
from collections import deque
from pathlib import Path
from typing import Any

from braze_harness.errors import HarnessConfigError, HarnessError
from braze_harness.extras import require
from braze_harness.proxy import ca

# The addon file `mitmdump -s` loads: in a checkout proxy_addons/ beside harness/, in a wheel braze_harness/proxy_addons/.
ADDON_PATH = Path(importlib.util.find_spec("braze_harness.proxy_addons").origin).parent / "braze_capture.py"
_LISTENING_RE = re.compile(r"listening at (?:http://)?\[?([0-9a-fA-F.:*]+|localhost)\]?:(\d+)")
_active_lock = threading.Lock()
_active: InProcessProxy | None = None


class ProxyError(HarnessError):
    """mitmproxy could not start or stop."""


def addon_module() -> Any:
    """`braze_harness.proxy_addons.braze_capture` (imported late: mitmproxy is the `[proxy]` extra)."""
    import braze_harness.proxy_addons.braze_capture as module

    return module


def _options(mode: str, emulator_url: str | None, allow_hosts: str | None, confdir: Path) -> dict[str, Any]:
    opts: dict[str, Any] = {"braze_mode": mode, "confdir": str(confdir)}
    if emulator_url:
        opts["braze_emulator"] = emulator_url
    if allow_hosts:
        opts["braze_allow_hosts"] = allow_hosts
    if mode == "emulate":
        opts["connection_strategy"] = "lazy"  # nothing is connected before a request is known (and allowed)
    return opts


class _ProxyBase:
    def __init__(
        self,
        *,
        mode: str = "emulate",
        emulator_url: str | None = None,
        allow_hosts: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        proxy_mode: str = "regular",
        confdir: Path | None = None,
        options: dict[str, Any] | None = None,
        emulator_token: str | None = None,
    ) -> None:
        if mode not in ("emulate", "observe"):
            raise HarnessConfigError(f"proxy mode must be emulate or observe, not {mode!r}")
        self.mode, self.emulator_url, self.allow_hosts = mode, emulator_url, allow_hosts
        self.host, self.port, self.proxy_mode = host, port, proxy_mode
        # the control token of `emulator_url`'s emulator (observe mode posts to its control API; docs/security.md)
        self.emulator_token = emulator_token
        self.confdir = ca.new_confdir() if confdir is None else ca.check_confdir(confdir)
        # a confdir of our own goes at stop, or when this object is collected or the interpreter exits
        self._remove_confdir = weakref.finalize(self, ca.remove_confdir, self.confdir) if confdir is None else None
        self.extra_options = dict(options or {})
        self.ca_cert = ca.ensure_ca(self.confdir)  # before start: browsers can be launched with its SPKI first

    @property
    def url(self) -> str:
        """The proxy's address for clients (`http://127.0.0.1:PORT`)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def spki(self) -> str:
        return ca.spki_hash(self.ca_cert)

    def chromium_args(self) -> list[str]:
        """Chromium flags trusting this proxy's CA (the proxy itself goes in Playwright's `proxy=`)."""
        return ca.chromium_trust_args(self.ca_cert)

    def _cleanup(self) -> None:
        if self._remove_confdir is not None:
            self._remove_confdir()

    def __enter__(self) -> Any:
        return self.start()  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> None:
        self.stop()  # type: ignore[attr-defined]


class _Ready:
    """Sets an event once every listener is up (mitmproxy calls `running` after the servers start)."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def running(self) -> None:
        self.event.set()


class InProcessProxy(_ProxyBase):
    """mitmproxy's DumpMaster in a background thread of this process, with the Braze addon.

    >>> with InProcessProxy(emulator=emu) as proxy:            # emulate, answered in process
    ...     httpx.post("https://sdk.iad-01.braze.com/api/v3/data/", ..., proxy=proxy.url,
    ...                verify=ssl.create_default_context(cafile=proxy.ca_cert))
    """

    def __init__(self, *, emulator: Any = None, addon: Any = None, **kw: Any) -> None:
        super().__init__(**kw)
        if addon is None:
            addon = addon_module().BrazeCapture(emulator, emulator_token=self.emulator_token)
        self.addon = addon
        self.master: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._startup_errors: list[str] = []

    def start(self, timeout: float = 15.0) -> InProcessProxy:
        global _active
        with _active_lock:
            if _active is not None:
                self._cleanup()
                raise ProxyError("another in-process mitmproxy is running (one per process: mitmproxy.ctx is global)")
            _active = self
        try:
            self._start(timeout)
        except BaseException:
            self.stop()  # whatever got started; frees the slot and the confdir
            raise
        return self

    def _start(self, timeout: float) -> None:
        with warnings.catch_warnings():  # mitmproxy's dependencies (ldap3, pyparsing) warn about theirs on import
            warnings.simplefilter("ignore", DeprecationWarning)
            options = require("mitmproxy.options", "the Braze proxy")
            DumpMaster = require("mitmproxy.tools.dump", "the Braze proxy").DumpMaster
        ready = threading.Event()
        opts = {
            "listen_host": self.host,
            "listen_port": self.port,
            "mode": [self.proxy_mode],
            **_options(self.mode, self.emulator_url, self.allow_hosts, self.confdir),
            **self.extra_options,
        }

        async def main() -> None:
            master = DumpMaster(options.Options(), with_termlog=False, with_dumper=False)
            master.addons.add(self.addon, _Ready(ready))
            master.options.update(**opts)  # after the addon declared its options
            self.master = master
            self._loop = asyncio.get_running_loop()
            await master.run()

        def run() -> None:
            try:
                asyncio.run(main())
            except BaseException as exc:  # ErrorCheck's sys.exit(1) on a start-up error included
                self._error = exc
                check = self.master.addons.get("errorcheck") if self.master is not None else None
                if check is not None:
                    self._startup_errors = [r.getMessage() for r in check.logger.has_errored]
            finally:
                ready.set()

        self._thread = threading.Thread(target=run, name="braze-mitmproxy", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise ProxyError(f"mitmproxy did not start within {timeout:g} s")
        if self._error is not None or not self._thread.is_alive():
            raise ProxyError(f"mitmproxy failed to start on {self.host}:{self.port}: {self._describe_error()}")
        addrs = self.master.addons.get("proxyserver").listen_addrs()
        if not addrs:
            raise ProxyError(f"mitmproxy is not listening on {self.host}:{self.port} (port busy?)")
        self.port = addrs[0][1]

    def _describe_error(self) -> str:
        if self._startup_errors:
            return "; ".join(self._startup_errors)
        err = self._error
        if isinstance(err, SystemExit) or err is None:
            return "see the log above (port busy?)"
        return f"{type(err).__name__}: {err}"

    def stop(self, timeout: float = 10.0) -> None:
        try:
            master, loop, thread = self.master, self._loop, self._thread
            if master is not None and loop is not None and not loop.is_closed():
                # master.shutdown() leaves the listening sockets open: close them first
                update = master.addons.get("proxyserver").servers.update([])
                try:
                    asyncio.run_coroutine_threadsafe(update, loop).result(timeout)
                except RuntimeError:  # the loop ended meanwhile (a failed start)
                    update.close()
                with contextlib.suppress(RuntimeError):
                    master.shutdown()
            if thread is not None:
                thread.join(timeout)
                if thread.is_alive():
                    raise ProxyError("the mitmproxy thread did not stop")
            self.master = self._loop = self._thread = None
        finally:
            self._release()
            self._cleanup()

    def _release(self) -> None:
        global _active
        with _active_lock:
            if _active is self:
                _active = None


class MitmdumpProcess(_ProxyBase):
    """`mitmdump -s proxy_addons/braze_capture.py` from this venv, as a subprocess (isolated from this process)."""

    def __init__(self, *, mitmdump: str | None = None, env: dict[str, str] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.mitmdump = mitmdump or str(Path(sys.executable).with_name("mitmdump"))
        self.env = env
        self.process: subprocess.Popen[str] | None = None
        self.output: deque[str] = deque(maxlen=500)
        self._listening = threading.Event()

    def command(self) -> list[str]:
        opts = {**_options(self.mode, self.emulator_url, self.allow_hosts, self.confdir), **self.extra_options}
        cmd = [self.mitmdump, "--listen-host", self.host, "--listen-port", str(self.port), "--mode", self.proxy_mode]
        cmd += ["-s", str(ADDON_PATH), "--set", "termlog_verbosity=info", "--flow-detail", "0"]
        for key, value in opts.items():
            cmd += ["--set", f"{key}={value}"]
        return cmd

    def start(self, timeout: float = 20.0) -> MitmdumpProcess:
        if not Path(self.mitmdump).is_file():
            raise HarnessConfigError(f"mitmdump not found at {self.mitmdump} (pip install mitmproxy==12.2.3)")
        env = {**os.environ, **(self.env or {})}
        if self.emulator_token:  # by the environment, not the command line (which any local user can read)
            env["BRAZE_EMULATOR_TOKEN"] = self.emulator_token
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, bufsize=1
        )
        threading.Thread(target=self._read, name="mitmdump-output", daemon=True).start()
        deadline = time.monotonic() + timeout
        while not self._listening.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                last = "\n".join(list(self.output)[-8:])
                raise ProxyError(f"mitmdump did not start listening:\n{last}")
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            line = line.rstrip("\n")
            self.output.append(line)
            m = _LISTENING_RE.search(line)
            if m and not self._listening.is_set():
                self.port = int(m.group(2))
                self._listening.set()

    def stop(self, timeout: float = 10.0) -> int | None:
        """Terminate mitmdump (SIGTERM; it exits cleanly); returns its exit code."""
        code = None
        try:
            if self.process is not None:
                if self.process.poll() is None:
                    self.process.terminate()
                try:
                    code = self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    code = self.process.wait(timeout)
        finally:
            self._cleanup()
        return code
