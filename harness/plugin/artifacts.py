"""On failure: the scope's decoded traffic goes into the report, the per-test output folder and Allure."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from braze_harness.plugin.handle import BrazeHandle


def test_folder(config: pytest.Config, nodeid: str) -> Path:
    # same place as pytest-playwright's artifacts (--output/<slug of the node id>)
    output = Path(config.getoption("--output", default="test-results") or "test-results")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", nodeid).strip("-").lower()[:200]
    return output / slug


def attach_traffic(item: pytest.Item, report: pytest.TestReport, handle: BrazeHandle) -> None:
    try:
        text = handle.traffic_text()
        entries = handle.entries()
    except Exception as exc:  # the report must still be written if the emulator is gone
        report.sections.append(("Braze traffic", f"(could not read the journal: {exc})"))
        return
    report.sections.append((f"Braze traffic (decoded, scope {handle.scope})", text))
    folder = test_folder(item.config, item.nodeid)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "braze-traffic.txt").write_text(text + "\n")
    with open(folder / "braze-traffic.jsonl", "wb") as fh:
        for e in entries:
            fh.write(orjson.dumps(e.to_json()) + b"\n")
    if item.config.getoption("--alluredir", default=None):
        try:
            import allure
        except ImportError:
            return
        allure.attach(text, name="Braze traffic (decoded)", attachment_type=allure.attachment_type.TEXT)
        allure.attach(
            orjson.dumps([e.to_json() for e in entries], option=orjson.OPT_INDENT_2).decode(),
            name="Braze traffic (JSON)",
            attachment_type=allure.attachment_type.JSON,
        )
