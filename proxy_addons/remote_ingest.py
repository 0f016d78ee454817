"""Observe mode with a remote emulator: observed exchanges posted in batches to `POST /_emulator/ingest/batch` from
a worker thread, never on mitmproxy's event loop; nothing dropped, failures logged with their count."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from typing import Any

logger = logging.getLogger("braze_capture")


BATCH_MAX = 500  # exchanges per ingest call
# how long the worker waits for more after the first exchange: an HTTP call costs the proxy ~1 ms of CPU, so
# one call per flow under steady load doubled its time per request; 20 ms more before journaling is invisible
BATCH_LINGER = 0.02


class Ingestor:
    """Posts observed exchanges to a remote emulator from a worker thread (never on mitmproxy's loop)."""

    def __init__(self, client: Any, *, owns_client: bool) -> None:
        self.client = client
        self.owns_client = owns_client
        self._queue: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self._pending = 0
        self._cond = threading.Condition()
        self._failures = 0
        self._thread = threading.Thread(target=self._run, name="braze-ingest", daemon=True)
        self._thread.start()

    def put(self, item: dict[str, Any]) -> None:
        with self._cond:
            self._pending += 1
        self._queue.put(item)

    def _run(self) -> None:
        # one HTTP call per batch: what queued up while the last call ran goes together (one call per flow
        # fell behind a busy proxy); nothing is dropped, a failed batch is logged with its size
        stop = False
        while not stop:
            batch = [self._queue.get()]
            deadline = time.monotonic() + BATCH_LINGER
            while len(batch) < BATCH_MAX and batch[-1] is not None:
                try:
                    batch.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            if None in batch:
                stop = True
                batch = [b for b in batch if b is not None]
            if not batch:
                continue
            try:
                refused = [r["error"] for r in self.client.ingest_many(batch) if "error" in r]
                for error in refused:
                    self._fail(error)
            except Exception as exc:
                self._fail(f"{exc} ({len(batch)} exchanges)")
            finally:
                with self._cond:
                    self._pending -= len(batch)
                    self._cond.notify_all()

    def _fail(self, what: str) -> None:
        self._failures += 1
        if self._failures == 1 or self._failures % 100 == 0:
            logger.error("braze_capture: could not journal an observed request (%d so far): %s", self._failures, what)

    def flush(self, timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 10.0) -> None:
        self.flush(timeout)
        self._queue.put(None)
        self._thread.join(timeout)
        if self.owns_client:
            with contextlib.suppress(Exception):
                self.client.close()
