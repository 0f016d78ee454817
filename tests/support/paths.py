"""Where things are, for tests at any depth of tests/."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
DATA = TESTS / "data"
CAPTURES = DATA / "captures"  # the real Web SDK's recorded traffic
MOBILE_CAPTURES = DATA / "mobile"  # real Android and Swift SDK requests from public sources, with provenance
