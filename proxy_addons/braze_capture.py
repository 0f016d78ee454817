"""mitmproxy addon: Braze SDK traffic from any browser or device, emulated or observed.

    mitmdump -s proxy_addons/braze_capture.py --set braze_mode=emulate --set braze_emulator=http://127.0.0.1:9090

A Braze SDK request is recognised by its path (`…/api/v3/…`) or its `X-Braze-Api-Key` header, on
any host (`sdk.iad-01.braze.com`, `sdk-tracking.…`, `*.braze.eu`, custom endpoints).

* `braze_mode=emulate` (default): Braze SDK requests are answered by the emulator — the one given
  to the constructor (in process: its ASGI app is served on the flow, so the answer, headers and journal
  entry are exactly what the emulator's own socket gives), or the one at `braze_emulator` (the request is
  forwarded there, keeping its Host, and the emulator journals it). Every other request, and every CONNECT to a host
  that is not a Braze host, loopback or in `braze_allow_hosts`, is refused with a 403 made by the
  proxy; mitmproxy never opens a connection anywhere else (`server_connect` guard, lazy connection
  strategy). A build wired to `https://sdk.iad-01.braze.com` so runs without internet.
* `braze_mode=observe`: everything passes through to the real hosts; each Braze exchange (request
  and real answer) is decoded into the journal and applied to the profiles when the server
  accepted it — in process, or remotely through `POST <braze_emulator>/_emulator/ingest`.

Server-sent events (`text/event-stream`, e.g. the Android SDK's `/sse` DUST stream) are streamed,
not buffered. What the addon decided is in `flow.metadata["braze"]`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import re
import socket
import sys
from collections import Counter, deque
from typing import Any

if importlib.util.find_spec("braze_harness") is None:  # `mitmdump -s` from a Python without the package
    sys.exit("braze_capture: the braze-harness package is not installed in this Python (pip install 'braze-harness[proxy]')")

from braze_harness.extras import require
from braze_harness.protocol.decode import endpoint_of, is_braze_request
from braze_harness.protocol.ingest_payload import payload
from braze_harness.protocol.wire import response_value
from braze_harness.proxy_addons.flow_asgi import serve_asgi
from braze_harness.proxy_addons.options import (
    EmulatorTarget,
    is_local_client,
    is_loopback,
    is_loopback_name,
    is_own_address,
    parse_emulator,
    parse_hosts,
)
from braze_harness.proxy_addons.remote_ingest import Ingestor

# the [proxy] extra (flow_asgi, imported above, already named it if mitmproxy is missing)
ctx = require("mitmproxy.ctx", "the Braze mitmproxy addon")
exceptions = require("mitmproxy.exceptions", "the Braze mitmproxy addon")
http = require("mitmproxy.http", "the Braze mitmproxy addon")

logger = logging.getLogger("braze_capture")

MODES = ("emulate", "observe")
# hosts of Braze's SDK clusters and legacy endpoints: a CONNECT to them is let in
# (and never connected upstream) in emulate mode, so their SDK requests can be answered
BRAZE_HOST_RE = re.compile(r"(^|\.)(braze\.(com|eu)|appboy\.(com|eu))$")
REFUSED_BODY = b"refused by braze_capture (emulate mode): only Braze SDK requests, loopback and braze_allow_hosts are served\n"
# a client on the network never reaches this machine itself through the proxy (docs/security.md)
SELF_REFUSED = (
    "refused by braze_capture: {host} is this machine ({why}); the proxy does not reach it for a client on the network\n"
)
CONTROL_REFUSED = b"refused by braze_capture: the emulator's control API (/_emulator/) is not served through the proxy\n"


def _is_control_path(path: str) -> bool:
    # the emulator's control API (harness/emulator/http/asgi.py, is_control_path): never reached through the proxy
    path = path.split("?", 1)[0]
    return path == "/_emulator" or path.startswith("/_emulator/")


async def _own_addresses(host: str, port: int) -> tuple[list[str], str | None]:
    """(the addresses `host` resolves to, why it is this machine or None). `*.localhost` is loopback without DNS."""
    if is_loopback_name(host):
        return ["127.0.0.1"], "a loopback name"
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return [], None  # unresolvable: mitmproxy's own connection attempt fails and says so
    ips = list(dict.fromkeys(str(info[4][0]) for info in infos))
    own = [ip for ip in ips if is_own_address(ip)]
    return ips, (f"it resolves to {own[0]}" if own and own[0] != host else "its own address") if own else None


def _is_onboarding(host: str) -> bool:
    options = ctx.options
    return "onboarding_host" in options and bool(options.onboarding) and host.lower() == options.onboarding_host.lower()


def _header_pairs(headers: http.Headers) -> list[tuple[str, str]]:
    """The raw header fields: `Headers.items()` looks every name up again (a third of the observe hook's time)."""
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.fields]


# -- the addon --------------------------------------------------------------------------------------


class BrazeCapture:
    """One addon, two modes (see the module doc). `emulator`: an in-process `braze_harness.emulator.app.Emulator`;
    `client`: what posts observed exchanges to a remote emulator (default: `EmulatorClient(braze_emulator)`)."""

    def __init__(self, emulator: Any = None, *, client: Any = None, emulator_token: str | None = None) -> None:
        self.emulator = emulator
        self.emulator_token = emulator_token  # the remote emulator's control token (default $BRAZE_EMULATOR_TOKEN)
        self._asgi: Any = None  # the emulator's ASGI app, served on emulated flows
        self._client = client
        self.mode = "emulate"
        self.target: EmulatorTarget | None = None
        self._allow_exact: frozenset[str] = frozenset()
        self._allow_suffixes: tuple[str, ...] = ()
        self._ingestor: Ingestor | None = None
        self.counts: Counter[str] = Counter()  # action -> flows
        self.refused: deque[str] = deque(maxlen=200)  # hosts refused lately, newest last

    # -- options ---------------------------------------------------------------------------------

    def load(self, loader: Any) -> None:
        loader.add_option(
            "braze_mode",
            str,
            "emulate",
            "emulate: answer Braze SDK requests from the emulator and refuse every other host (nothing leaves "
            "the machine); observe: pass everything through and journal the Braze exchanges.",
            choices=MODES,
        )
        loader.add_option(
            "braze_emulator",
            str,
            "",
            "Base URL of a running Braze emulator (e.g. http://127.0.0.1:9090). Empty: the emulator given to "
            "the addon in process (or a private one).",
        )
        loader.add_option(
            "braze_allow_hosts",
            str,
            "",
            "Emulate mode: comma-separated extra hosts allowed upstream (*.example.com for subdomains); "
            "loopback is always allowed.",
        )

    def configure(self, updated: set[str]) -> None:
        if "braze_mode" in updated:
            mode = ctx.options.braze_mode
            if mode not in MODES:
                raise exceptions.OptionsError(f"braze_mode: {mode!r} is not one of {', '.join(MODES)}")
            self.mode = mode
        if "braze_emulator" in updated:
            try:
                target = parse_emulator(ctx.options.braze_emulator)
            except ValueError as exc:
                raise exceptions.OptionsError(f"braze_emulator: {exc}") from None
            if target != self.target:
                self._close_ingestor()
                self.target = target
        if "braze_allow_hosts" in updated:
            try:
                self._allow_exact, self._allow_suffixes = parse_hosts(ctx.options.braze_allow_hosts)
            except ValueError as exc:
                raise exceptions.OptionsError(f"braze_allow_hosts: {exc}") from None
        if self.mode == "emulate" and "connection_strategy" in ctx.options and ctx.options.connection_strategy != "lazy":
            # eager would connect to sdk.*.braze.com before the request is known: emulate connects nowhere
            logger.info("braze_capture: emulate mode sets connection_strategy=lazy (no upstream connections)")
            ctx.options.connection_strategy = "lazy"

    def running(self) -> None:
        where = self.target.url if self.target else "in process"
        logger.info("braze_capture: %s mode, emulator %s", self.mode, where)

    def done(self) -> None:
        self._close_ingestor()

    # -- hooks -----------------------------------------------------------------------------------

    async def http_connect(self, flow: http.HTTPFlow) -> None:
        if flow.response or flow.error or not flow.live:
            return
        host = flow.request.host
        meta = flow.metadata.setdefault("braze", {})
        if self.mode == "observe" or self._upstream_allowed(host):
            # the only tunnel that connects upstream: checked for a client on the network (Braze hosts and refused
            # ones connect nowhere and are never looked up in DNS)
            refused = await self._refuse_if_self(flow)
            meta["connect"] = "refused" if refused else "passthrough"
        elif _is_onboarding(host):
            meta["connect"] = "onboarding"  # mitmproxy's own http(s)://mitm.it (the CA for devices), served locally
        elif BRAZE_HOST_RE.search(host.lower()):
            meta["connect"] = "braze"  # its SDK requests are answered here; nothing connects upstream
        else:
            meta["connect"] = "refused"
            self.counts["refused"] += 1
            self._refuse(flow, host)

    async def server_connect(self, data: Any) -> None:
        """The last guard before mitmproxy connects. Emulate mode: no connection to a host that is not loopback,
        allowed or the emulator. Any mode: `*.localhost` is 127.0.0.1 without DNS, and for a client on the network
        no connection to this machine itself (checked on the resolved addresses, then connected to the one checked)."""
        if data.server.error or not data.server.address:
            return
        host, port = str(data.server.address[0]), data.server.address[1]
        if self.mode == "emulate" and not self._upstream_allowed(host):
            self.counts["blocked_connections"] += 1
            data.server.error = f"braze_capture (emulate): no connection to {host} (not loopback or braze_allow_hosts)"
            return
        if is_loopback_name(host):
            data.server.address = ("127.0.0.1", port)  # RFC 6761: a DNS answer for *.localhost is never asked for
        if is_local_client(data.client.peername):
            return
        target = self.target
        if target is not None and (host.lower(), port) == (target.host.lower(), target.port):
            return  # the emulator SDK requests are forwarded to (`request` refuses its control API and the rest)
        ips, why = await _own_addresses(host, port)
        if why is not None:
            self.counts["blocked_connections"] += 1
            data.server.error = SELF_REFUSED.format(host=host, why=why).strip()
        elif ips:
            data.server.address = (ips[0], port)  # the address checked: no second lookup (DNS rebinding)

    async def request(self, flow: http.HTTPFlow) -> None:
        if flow.response or flow.error or not flow.live:
            return
        req = flow.request
        meta = flow.metadata.setdefault("braze", {})
        sdk = is_braze_request(req.path, req.headers)
        meta["sdk"] = sdk
        if sdk:
            endpoint = endpoint_of(req.path.split("?", 1)[0])
            meta["endpoint"] = endpoint.value if endpoint else None
        if _is_control_path(req.path) and (sdk or req.host == (self.target.host if self.target else None)):
            meta["action"] = "refused"
            self._refuse(flow, req.host, CONTROL_REFUSED)
        elif self.mode == "observe":
            meta["action"] = "observed" if sdk else "passthrough"
            if await self._refuse_if_self(flow):
                meta["action"] = "refused"
        elif sdk:
            if self.target is not None:
                self._forward(flow, self.target)
                meta["action"] = "forwarded"
            else:
                meta["action"] = "emulated"
                await self._answer(flow)
        elif not self._upstream_allowed(req.host):  # refused by name: nothing looked up in DNS
            meta["action"] = "refused"
            self._refuse(flow, req.host)
        elif await self._refuse_if_self(flow):
            meta["action"] = "refused"
        else:
            meta["action"] = "passthrough"
        self.counts[meta["action"]] += 1

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        resp = flow.response
        if resp is None:
            return
        if "text/event-stream" in resp.headers.get("content-type", "").lower():
            resp.stream = True  # a buffered event stream would stall the SDK's real-time refreshes
            flow.metadata.setdefault("braze", {})["streamed"] = True

    def response(self, flow: http.HTTPFlow) -> None:
        meta = flow.metadata.get("braze") or {}
        if meta.get("action") == "observed" and not meta.get("journaled"):
            resp = flow.response
            body = None if resp is None or meta.get("streamed") else resp.get_content(strict=False)
            self._record(flow, resp.status_code if resp else None, response_value(body))

    def error(self, flow: http.HTTPFlow) -> None:
        meta = flow.metadata.get("braze") or {}
        if meta.get("action") == "observed" and not meta.get("journaled") and flow.response is None:
            meta["upstream_error"] = str(flow.error) if flow.error else "no answer"
            self._record(flow, None, None)  # the SDK got no answer: journaled without one (and not applied)

    # -- emulate ---------------------------------------------------------------------------------

    async def _answer(self, flow: http.HTTPFlow) -> None:
        """Answer a Braze SDK request from the in-process emulator: its ASGI app served on this flow."""
        emu = self._emulator()
        try:
            await serve_asgi(self._app(), flow, source="proxy")
        except Exception as exc:  # never let one request take the proxy down
            logger.exception("braze_capture: the emulator failed on %s %s", flow.request.method, flow.request.pretty_url)
            flow.response = http.Response.make(
                502, f"braze_capture: emulator error: {exc}\n".encode(), {"content-type": "text/plain"}
            )
            return
        meta = flow.metadata["braze"]
        meta["journal_seq"] = emu.journal.latest_seq
        if flow.response is None and flow.error is not None:
            meta["fault"] = "drop"

    def _forward(self, flow: http.HTTPFlow, target: EmulatorTarget) -> None:
        """Send a Braze SDK request to the remote emulator, keeping its Host so the journal shows the SDK's URL."""
        req = flow.request
        scheme = req.scheme
        default_port = {"https": 443, "http": 80}.get(scheme)
        host_header = req.host_header or (req.host if req.port == default_port else f"{req.host}:{req.port}")
        req.scheme, req.host, req.port = target.scheme, target.host, target.port
        if target.prefix:
            req.path = target.prefix + req.path
        req.host_header = host_header
        if scheme != target.scheme:
            req.headers["x-forwarded-proto"] = scheme  # the emulator journals https://sdk.…, as the SDK sent it

    def _refuse(self, flow: http.HTTPFlow, host: str, body: bytes = REFUSED_BODY) -> None:
        self.refused.append(host)
        flow.response = http.Response.make(403, body, {"content-type": "text/plain", "x-braze-capture": "refused"})

    async def _refuse_if_self(self, flow: http.HTTPFlow) -> bool:
        """A client on the network asking for this machine itself (its loopback, its own addresses, 0.0.0.0): 403."""
        if is_local_client(flow.client_conn.peername):
            return False
        host = flow.request.host
        _, why = await _own_addresses(host, flow.request.port)
        if why is None:
            return False
        self.counts["refused_self"] += 1
        self._refuse(flow, host, SELF_REFUSED.format(host=host, why=why).encode())
        return True

    # -- observe ---------------------------------------------------------------------------------

    def _record(self, flow: http.HTTPFlow, status: int | None, response: Any) -> None:
        req = flow.request
        meta = flow.metadata["braze"]
        meta["journaled"] = True
        args = (req.method, req.pretty_url, _header_pairs(req.headers), req.get_content(strict=False), status, response)
        try:
            if self.target is not None:
                self._ingest_remote().put(payload(*args, source="proxy", received_at=req.timestamp_start))
            else:
                entry = self._emulator().observe(*args, source="proxy", received_at=req.timestamp_start)
                meta["journal_seq"] = entry.seq
        except Exception:
            logger.exception("braze_capture: could not journal %s %s", req.method, req.pretty_url)

    # -- helpers ---------------------------------------------------------------------------------

    def _upstream_allowed(self, host: str) -> bool:
        host = host.strip("[]").lower()
        if is_loopback(host) or host in self._allow_exact:
            return True
        if self.target is not None and host == self.target.host.lower():
            return True
        return any(host.endswith(s) for s in self._allow_suffixes)

    def _app(self) -> Any:
        if self._asgi is None:
            from braze_harness.emulator.http.asgi import EmulatorASGI

            self._asgi = EmulatorASGI(self._emulator())
        return self._asgi

    def _emulator(self) -> Any:
        if self.emulator is None:
            from braze_harness.emulator.app import Emulator

            logger.warning(
                "braze_capture: no braze_emulator set: using a private in-process emulator "
                "(set braze_emulator=http://… to see its journal, or run `braze-harness proxy`)"
            )
            self.emulator = Emulator()
        return self.emulator

    def _ingest_remote(self) -> Ingestor:
        if self._ingestor is None:
            assert self.target is not None
            client = self._client
            if client is None:
                from braze_harness.client import EmulatorClient

                self._ingestor = Ingestor(EmulatorClient(self.target.url, token=self.emulator_token), owns_client=True)
            else:
                self._ingestor = Ingestor(client, owns_client=False)
        return self._ingestor

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every observed exchange has reached the remote emulator (tests, shutdown)."""
        return self._ingestor.flush(timeout) if self._ingestor else True

    def _close_ingestor(self) -> None:
        if self._ingestor is not None:
            self._ingestor.close()
            self._ingestor = None


addons = [BrazeCapture()]
