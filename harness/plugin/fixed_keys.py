"""`--braze-api-key KEY[=workspace]`: the api keys written into a customer's site.

Such a key cannot be a test's own (one key, many tests, and under `-n 2` many workers), so it is registered once
per emulator in a shared workspace no test owns (`POST /_emulator/keys`, idempotent: every xdist worker sharing
the controller's emulator may register it again). Tests are kept apart by the devices they claim: the Web SDK 5.x
and 6.x keep the device id in localStorage `ab.storage.deviceId.<api key>` and read it at `initialize`, so a
browser context is attached to a test by seeding that entry, before the page loads, with a device id the test
claimed (`braze.claim_context(context)`; done for pytest-playwright's `page` by itself). Traffic that arrives and
belongs to no test is named by every "nothing seen" failure, with the likely fix.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pytest
from braze_harness.errors import HarnessConfigError, HarnessError
from braze_harness.expect.report import add_silence_hint, remove_silence_hint

if TYPE_CHECKING:
    from braze_harness.client import EmulatorClient


class BrazeHandle(Protocol):
    """What this module uses of `braze` (handle.py, which calls in here: no import back)."""

    client: EmulatorClient
    scope: str
    fixed_keys: tuple[str, ...]
    claimed_devices: set[str]

    def new_device_id(self, *, uppercase: bool = False) -> str: ...

    def claim_context(self, context: Any) -> dict[str, str]: ...


DEFAULT_WORKSPACE = "default"
DEVICE_ID_STORAGE = "ab.storage.deviceId."  # + api key: the Web SDK's localStorage entry (5.x, 6.x)
DOCS = "docs/your-web-site.md"
_MADE_BY_A_TEST = re.compile(r"^[\w.-]+-[a-z]+-[0-9a-f]{16}$")  # Emulator.create_app's "<workspace>-<platform>-<hex>"
NO_ADAPTER = (
    "--braze-api-key without --braze-adapter: braze_app would be the bundled demo app, not your site; pass "
    f"--braze-adapter module:factory, or drive your site with `braze_page` and `braze` ({DOCS})"
)


@dataclass(frozen=True, slots=True)
class FixedKey:
    api_key: str
    workspace: str = DEFAULT_WORKSPACE

    def __str__(self) -> str:
        return self.api_key if self.workspace == DEFAULT_WORKSPACE else f"{self.api_key}={self.workspace}"


KEYS: pytest.StashKey[tuple[FixedKey, ...]] = pytest.StashKey()
_REGISTERED: pytest.StashKey[set[tuple[str, str]]] = pytest.StashKey()  # (emulator url, key) done in this process


def parse(values: list[str] | None) -> tuple[FixedKey, ...]:
    """`["KEY", "KEY2=prod"]` -> fixed keys; a mistake raises pytest.UsageError with one line."""
    keys: dict[str, FixedKey] = {}
    for value in values or []:
        key, sep, workspace = (part.strip() for part in value.partition("="))
        if not key or any(c.isspace() for c in key) or len(key) > 200:
            raise pytest.UsageError(f"--braze-api-key: {value!r} is not KEY or KEY=workspace")
        if sep and (not workspace or "/" in workspace or len(workspace) > 100):
            raise pytest.UsageError(f"--braze-api-key {value}: the workspace must be a name without '/'")
        fixed = FixedKey(key, workspace or DEFAULT_WORKSPACE)
        if key in keys and keys[key] != fixed:
            two = f"{keys[key].workspace}, {fixed.workspace}"
            raise pytest.UsageError(f"--braze-api-key {key}: given with two workspaces ({two})")
        keys[key] = fixed
    return tuple(keys.values())


def configure(config: pytest.Config) -> None:
    config.stash[KEYS] = parse(config.getoption("--braze-api-key"))


def of(config: pytest.Config) -> tuple[FixedKey, ...]:
    keys = config.stash.get(KEYS, None)
    return keys if keys is not None else parse(config.getoption("--braze-api-key"))


def register(config: pytest.Config, client: EmulatorClient, keys: tuple[FixedKey, ...]) -> None:
    """Each fixed key registered in its shared workspace, once per emulator and process (the emulator makes a
    second registration, another worker's, a no-op). A key some test already owns stops the run with one line."""
    done = config.stash.setdefault(_REGISTERED, set())
    for key in keys:
        if (client.base_url, key.api_key) in done:
            continue
        try:
            client.register_key(key.api_key, workspace=key.workspace)
        except HarnessConfigError:
            raise
        except HarnessError as exc:
            pytest.exit(f"braze: --braze-api-key {key}: {exc}", returncode=4)
        done.add((client.base_url, key.api_key))


def attach(request: pytest.FixtureRequest, handle: BrazeHandle, keys: tuple[FixedKey, ...]) -> None:
    """The per-test part: keys registered, the failure hint about unowned traffic, `page`'s context claimed."""
    if keys:
        register(request.config, handle.client, keys)
    handle.fixed_keys = tuple(k.api_key for k in keys)
    started = time.time() - 1.0  # the emulator's clock may be a little behind this one
    add_silence_hint(handle.scope, lambda: unowned_hint(handle, since=started))
    if keys and "page" in request.fixturenames:
        # pytest-playwright's page: its context is this test's before the test navigates anywhere
        handle.claim_context(request.getfixturevalue("page").context)


def detach(handle: BrazeHandle) -> None:
    remove_silence_hint(handle.scope)


def seed_script(device_ids: dict[str, str]) -> str:
    """An init script giving the Web SDK these device ids, one per api key, unless the origin already has one.

    The SDK reads `ab.storage.deviceId.<key>` at `initialize`, from a cookie first, then localStorage. Both get
    `{"g": id, "e": null, "c": created ms, "l": last ms}` as JSON text: 5.x and 6.x parse that text (their own
    format is `g:<id>|e:…|c:…|l:…`), 4.x's cookie storage parses it (its localStorage wants an object instead,
    so 4.x with `noCookies: true` is not reached: docs/your-web-site.md)."""
    return (
        "(() => { const ids = "
        + json.dumps(device_ids)
        + "; try { const now = Date.now(); for (const [key, id] of Object.entries(ids)) {"
        f" const name = {json.dumps(DEVICE_ID_STORAGE)} + key;"
        " const value = JSON.stringify({g: id, e: null, c: now, l: now});"
        " const hasCookie = document.cookie.split(/; */).some((c) => c.startsWith(name + '='));"
        " if (window.localStorage.getItem(name) !== null || hasCookie) continue;"
        " window.localStorage.setItem(name, JSON.stringify({v: value}));"
        " document.cookie = name + '=' + encodeURIComponent(value) + '; path=/; max-age=34560000; SameSite=Lax'; }"
        " } catch (e) { /* an opaque origin (about:blank, data:) has no storage */ } })();"
    )


_READ_STORED = """(prefix) => { const out = {}; try { for (let i = 0; i < localStorage.length; i++) {
  const name = localStorage.key(i); if (!name.startsWith(prefix)) continue;
  let v = null; try { v = JSON.parse(localStorage.getItem(name)).v; } catch (e) { continue; }
  if (typeof v === "string" && v.startsWith("{")) { try { v = JSON.parse(v); } catch (e) {} }
  const g = typeof v === "string" ? (v.split("|")[0].split("g:")[1] || "") : (v && v.g) || "";
  out[name.slice(prefix.length)] = decodeURIComponent(g); } } catch (e) {} return out; }"""


def claim_context(handle: BrazeHandle, context: Any) -> dict[str, str]:
    """Attach a Playwright browser context to the test: for each fixed key, a device id claimed by the test and
    seeded where the Web SDK looks for it; pages already open keep the id their SDK stored, which is claimed too.
    Returns {api key: seeded device id}. Without `--braze-api-key` there is nothing to do: the test's own keys
    (`braze.api_key`) already belong to it."""
    if not handle.fixed_keys:
        return {}
    seeded = {key: handle.new_device_id() for key in handle.fixed_keys}
    context.add_init_script(script=seed_script(seeded))
    stored: set[str] = set()
    for page in context.pages:
        if page.url.startswith(("http://", "https://")):
            found = page.evaluate(_READ_STORED, DEVICE_ID_STORAGE)
            stored.update(dev for key, dev in found.items() if key in handle.fixed_keys and dev)
    if stored - set(seeded.values()):
        handle.client.claim_devices(handle.scope, sorted(stored - set(seeded.values())))
    handle.claimed_devices.update(seeded.values(), stored)
    return seeded


def unowned_hint(handle: BrazeHandle, *, since: float) -> list[str]:
    """What a "nothing seen" failure adds: the SDK requests that arrived since the test began but belong to no
    test (`GET /_emulator/unowned`), per api key, with the likely fix."""
    got = handle.client.unowned(since=since, limit=200)
    if not got["matched"]:
        return []
    lines = [f"Meanwhile {got['matched']} SDK request(s) arrived that belong to no test (GET /_emulator/unowned):"]
    devices: dict[str, set[str]] = {}
    for req in got["requests"]:
        devices.setdefault(req["api_key"] or "", set()).add(req["device_id"] or "?")
    for key, count in sorted(got["by_api_key"].items(), key=lambda kv: -kv[1]):
        if not key:
            fix = "they carry no api key"
        elif key in handle.fixed_keys:
            shown = ", ".join(sorted(devices.get(key, set()))[:3])
            fix = (
                f"their device(s) ({shown}) are claimed by no test: call braze.claim_context(context) for the browser "
                f"context before its page loads (pytest-playwright's `page` is claimed by itself; Web SDK 4.x with "
                f"noCookies: true cannot be seeded, see {DOCS})"
            )
        elif _MADE_BY_A_TEST.match(key):
            fix = "a key a test created, whose scope is gone (an app still running after its test ended)"
        else:
            fix = f"pass --braze-api-key {key} (a key written into the site; {DOCS})"
        lines.append(f"  {count} request(s) with api key {key or '(none)'} arrived but belong to no test: {fix}")
    return lines
