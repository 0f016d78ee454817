"""The data dictionary of a run: every name sent with its types, examples, tests and data points, against the plan."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.emulator.settings import EmulatorSettings

from tests.support.builders import ce, data_body

PLAN = """
events:
  cart_add:
    properties:
      price: {type: number}
  checkout: {}
attributes:
  plan: {type: string}
"""


def _journal(tmp_path: Path) -> Path:
    db = tmp_path / "run.db"
    with EmulatorServer(EmulatorSettings(port=0, journal_db=db)) as server:
        client = httpx.Client(base_url=server.url, trust_env=False)
        scope = client.post("/_emulator/scopes", json={"name": "test_cart"}).json()["scope"]
        key = client.post(f"/_emulator/scopes/{scope}/apps", json={"platform": "web"}).json()["api_key"]
        purchase = {
            "name": "p",
            "time": 1795379910.0,
            "data": {"pid": "gold", "c": "USD", "p": "1.00", "q": 1, "pr": {"gift": True}},
        }
        events = [ce("cart_add", {"price": 9.5}, user="u-1"), ce("cart_add", {"price": 3, "coupon": "X1"}, user="u-1"), purchase]
        attributes = [{"user_id": "u-1", "custom": {"plan": "vip", "visits": 2}}]
        body = data_body(api_key=key, events=events, attributes=attributes)
        assert client.post("/api/v3/data/", content=body, headers={"x-braze-api-key": key}).status_code == 200
    return db


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "braze_harness.cli", *args], capture_output=True, text=True, timeout=60)


def test_the_dictionary_lists_what_was_sent_with_its_tests_and_data_points(tmp_path: Path) -> None:
    db = _journal(tmp_path)
    run = _cli("dictionary", str(db), "--format", "json")
    assert run.returncode == 0, run.stderr
    items = {(i["kind"], i["name"]): i for i in json.loads(run.stdout)["items"]}
    cart = items[("event", "cart_add")]
    assert (cart["count"], cart["data_points"], cart["status"]) == (2, 2, None)
    assert cart["tests"][0].startswith("test_cart")
    price = items[("event property", "cart_add.price")]
    assert (price["types"], price["examples"]) == ({"number": 1, "integer": 1}, [9.5, 3])
    assert items[("attribute", "visits")]["types"] == {"integer": 1}
    assert items[("purchase", "gold")]["data_points"] == 1
    assert items[("purchase property", "purchase.gift")]["types"] == {"boolean": 1}


def test_against_a_plan_each_name_is_planned_unplanned_or_never_seen(tmp_path: Path) -> None:
    db = _journal(tmp_path)
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    out = tmp_path / "dictionary.md"
    run = _cli("dictionary", str(db), "--plan", str(plan), "--out", str(out))
    assert run.returncode == 0, run.stderr
    text = out.read_text()
    assert "Against the plan: 3 planned and seen, 4 seen but unplanned, 1 planned but never seen." in text
    assert "| `checkout` | - | - | 0 | - | - | - | - | never seen |" in text
    assert '| `cart_add.coupon` | string | `"X1"` | 1 |' in text and text.count("unplanned |") == 4


def test_a_missing_journal_is_one_line(tmp_path: Path) -> None:
    run = _cli("dictionary", str(tmp_path / "none.db"))
    assert run.returncode == 2 and "no journal database at" in run.stderr and "Traceback" not in run.stderr
