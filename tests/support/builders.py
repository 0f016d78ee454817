"""Small builders shared by the harness's own tests."""

import json
import time

from braze_harness.journal import Exchange, Journal

_T0 = 1795379909.0


def data_body(api_key="k", device_id="dev-1", events=(), attributes=(), **over):
    body = {"api_key": api_key, "device_id": device_id, "time": int(_T0), "sdk_version": "6.13.0"}
    if events:
        body["events"] = list(events)
    if attributes:
        body["attributes"] = list(attributes)
    body.update(over)
    return json.dumps(body)


def ce(name, props=None, user=None, t=None, session="s1"):
    event = {"name": "ce", "time": t if t is not None else _T0, "data": {"n": name, "p": props or {}}, "session_id": session}
    if user:
        event["user_id"] = user
    return event


def ss(user=None, t=None, session="s1"):
    event = {"name": "ss", "time": t if t is not None else _T0, "data": {}, "session_id": session}
    if user:
        event["user_id"] = user
    return event


def append(journal: Journal, body: str, *, api_key="k", status=200, scope=None):
    """Journal one /data/ exchange in `scope` (the journal stores the scope its caller gives)."""
    return journal.append(
        Exchange("POST", "http://127.0.0.1/api/v3/data/", {"x-braze-api-key": api_key}, body, status, {}),
        source="test",
        scope=scope,
    )


def later(seconds, fn, *args, **kwargs):
    """Run fn after `seconds` in a thread (the traffic an expectation waits for)."""
    import threading

    def run():
        time.sleep(seconds)
        fn(*args, **kwargs)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread
