"""Bundle Segment's analytics-next with its Braze web-mode destination, and the Braze Web SDK that destination loads.

Two classic scripts, built by esbuild from the project's pinned npm packages (package.json):

- `segment-…js`: `AnalyticsBrowser` from `@segment/analytics-next`, the destination plugin factory and its definition
  (`destination`, with its default subscriptions: `presets`) from `@segment/analytics-browser-actions-braze`, as
  `window.SegmentAnalytics`, `window.SegmentBrazeDestination`, `window.SegmentBrazeDefinition`.
- `braze-…js`: the destination does not bundle Braze: its `initialize` loads
  `https://js.appboycdn.com/web-sdk/{sdkVersion}/braze.no-module.min.js` (setting `sdkVersion`, default 4.6). The shop's
  browser context answers that URL with this script instead: `@braze/web-sdk` as the destination's own npm dependency
  resolves it (`^4.1.0`, pinned by package-lock.json), setting `window.braze` as the CDN's no-module build does.
"""

from __future__ import annotations

from pathlib import Path

from braze_harness import node_tools
from braze_harness.devices.cdp import esbuild

CORE_PACKAGE = "@segment/analytics-next"
DESTINATION_PACKAGE = "@segment/analytics-browser-actions-braze"
BRAZE_PACKAGE = "@braze/web-sdk"
FEATURE = "the Segment integration"
_ENTRY_JS = f"""import {{ AnalyticsBrowser }} from "{CORE_PACKAGE}";
import brazeDestination, {{ destination }} from "{DESTINATION_PACKAGE}";
window.SegmentAnalytics = AnalyticsBrowser;
window.SegmentBrazeDestination = brazeDestination;
window.SegmentBrazeDefinition = destination;
"""
_BRAZE_ENTRY_JS = f"""import * as braze from "{BRAZE_PACKAGE}";
window.braze = braze;
"""


def installed_version(package: str) -> str:
    return esbuild.installed_version(package, FEATURE)


def braze_web_sdk_version() -> str:
    """The `@braze/web-sdk` the destination depends on (its nested copy), the one the shop serves at the CDN URL."""
    installed_version(DESTINATION_PACKAGE)
    return esbuild.installed_version(BRAZE_PACKAGE, FEATURE, within=DESTINATION_PACKAGE)


def ensure_bundle() -> Path:
    """analytics-next with the Braze destination (built on first use)."""
    core, destination = installed_version(CORE_PACKAGE), installed_version(DESTINATION_PACKAGE)
    out = node_tools.home() / "cdp" / f"segment-{core}-braze-destination-{destination}.js"
    return esbuild.bundle_script(_ENTRY_JS, out, what=f"{CORE_PACKAGE} with {DESTINATION_PACKAGE}")


def ensure_braze_bundle() -> Path:
    """The destination's `@braze/web-sdk` as a no-module script setting `window.braze` (built on first use)."""
    out = node_tools.home() / "cdp" / f"braze-web-sdk-{braze_web_sdk_version()}-no-module.js"
    resolve_dir = esbuild.package_dir(DESTINATION_PACKAGE)
    return esbuild.bundle_script(_BRAZE_ENTRY_JS, out, what=f"{BRAZE_PACKAGE} for {DESTINATION_PACKAGE}", resolve_dir=resolve_dir)
