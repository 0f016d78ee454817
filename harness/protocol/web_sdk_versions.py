"""What each `@braze/web-sdk` version can do: the one place the harness keeps version knowledge.

Pure data and small functions (no I/O), so the decoder, the emulator, the demo app's adapter, the pytest
plugin and the suites all ask the same question the same way: "does this version have feature X?" and
"how does this version retry?". Every entry is taken from the SDK's CHANGELOG (`CHANGELOG_URL`, the version
heading is the anchor) and checked against the published npm sources (4.0.3, 4.10.2, 5.9.1, 6.13.0);
docs/web-sdk-versions.md is the readable table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

CHANGELOG_URL: Final = "https://github.com/braze-inc/braze-web-sdk/blob/master/CHANGELOG.md"

Version = tuple[int, int, int]
_VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?$")


def parse_version(version: str) -> Version:
    """`"5.9.1"` -> `(5, 9, 1)`; a pre-release counts as its release. ValueError names a malformed version."""
    match = _VERSION_RE.match(version.strip())
    if not match:
        raise ValueError(f"not a Web SDK version like 6.13.0: {version!r}")
    return int(match[1]), int(match[2]), int(match[3])


def _v(text: str) -> Version:
    return parse_version(text)


@dataclass(frozen=True)
class Feature:
    """A capability a suite or the demo app relies on: present from `since` up to (not including) `removed`,
    and again from `restored` if a later version brought it back."""

    name: str
    since: Version
    what: str
    removed: Version | None = None
    restored: Version | None = None

    def present_in(self, version: Version) -> bool:
        if version < self.since:
            return False
        if self.removed is not None and self.removed <= version:
            return self.restored is not None and version >= self.restored
        return True


def _feature(name: str, since: str, what: str, removed: str | None = None, restored: str | None = None) -> Feature:
    return Feature(name, _v(since), what, _v(removed) if removed else None, _v(restored) if restored else None)


FEATURES: Final[dict[str, Feature]] = {
    f.name: f
    for f in (
        # 3.3.0 "Introduced support for new SDK Authentication feature"
        _feature(
            "sdk_authentication", "3.3.0", "SDK authentication (enableSdkAuthentication, subscribeToSdkAuthenticationFailures)"
        ),
        # 4.0.0: the `appboy` object became `braze` (ES modules): the demo app only knows `braze`
        _feature("braze_namespace", "4.0.0", "the `braze` namespace (3.x exported `appboy`)"),
        # 4.0.4 "Fixed an issue introduced in 4.0.0 that prevented control in-app message impressions from being logged"
        # (4.0.0-4.0.3 log a control message's impression as `ccic`, a content card control impression)
        _feature("iam_control_impression", "4.0.4", "control in-app message impressions logged as `iec`"),
        # Not in the CHANGELOG, read in the npm sources (session-manager.js): up to 4.7.1 a session shorter than the
        # 1 s minimum ends with `se {"d": null}` (its length is added to an undefined field); 4.8.3 is the next
        # version on npm and has the fix
        _feature("session_end_length", "4.8.3", "a session end (`se`) of a session under 1 s carries its length `d`"),
        # Not in the CHANGELOG, read in network-manager.js: X-Braze-Req-Attempt first in 4.9.0 (4.8.3 lacks it)
        _feature("req_attempt_header", "4.9.0", "the X-Braze-Req-Attempt request header (retry count)"),
        # 4.6.0 "Added support for the upcoming Braze Feature Flags product"
        _feature("feature_flags", "4.6.0", "feature flags (getFeatureFlag, logFeatureFlagImpression)"),
        # 4.7.0 setCustomUserAttribute accepts nested objects and arrays of objects, with a `merge` parameter
        _feature("nested_custom_attributes", "4.7.0", "nested custom attributes and the merge parameter"),
        # 4.10.0 "getDeviceId and getUserId now return results directly" (before: callback only)
        _feature("ids_returned_directly", "4.10.0", "getDeviceId()/getUserId() return the id (before: callback only)"),
        # 5.2.0 "Added a deviceId initialization option"
        _feature("device_id_option", "5.2.0", "the deviceId initialization option"),
        # 5.6.0 "Added support for the Banners campaign type"
        _feature("banners", "5.6.0", "Banners (requestBannersRefresh, subscribeToBannersUpdates)"),
        # Banner.html: with Banners in 5.6.0, removed in 6.0.0 ("use insertBanner instead"), back in 6.5.0
        _feature("banner_html", "5.6.0", "Banner.html for a custom banner UI", removed="6.0.0", restored="6.5.0"),
        # braze.logBannerClick(): 6.4.0 "Added methods logBannerImpressions() and logBannerClick()". 5.x declares it in
        # its typings but the npm package's index does not export it (checked in 5.9.1): there a click is not logged.
        _feature("banner_click_api", "6.4.0", "braze.logBannerClick() for a custom banner UI"),
        # 5.7.0 "The SDK now respects the retry-after header ... when determining how long to wait before retrying"
        _feature("retry_after", "5.7.0", "Retry-After honoured on /data/ retries"),
        # 6.5.0 "Improved request retry timing to prefer server-configurable values" (config.request_backoff)
        _feature("server_backoff", "6.5.0", "retry timing from the server's config (request_backoff)"),
        # Wire, from the npm sources (not in the CHANGELOG): an in-app message that cannot be shown is logged as `sfe`
        # {trigger_ids, error_code} (events.py InAppMessageDisplayFailure) in 4.0.3-5.1.1; 5.2.0 no longer sends it
        _feature("iam_display_failure_event", "4.0.0", "`sfe` in-app message display failures", removed="5.2.0"),
        # 4.6.0 "Added a method braze.logContentCardClick()" (before: logCardClick(card, true))
        _feature("content_card_click_method", "4.6.0", "braze.logContentCardClick()"),
        # 6.10.0: unregisterPush() POSTs /push/unregister (checked in the npm sources: 6.9.0 has no such request, it
        # only queues a null push token; the CHANGELOG first names "the push unregistration endpoint" in 6.10.2)
        _feature("push_unregister_endpoint", "6.10.0", "unregisterPush() POSTs /push/unregister"),
        # Not in the CHANGELOG, read in the npm sources (storage-manager.js, the attribute queue): 4.8.3 and 4.9.0 queue
        # a standard attribute only when it is not null, so the null push token of unregisterPush() or of a permission
        # found blocked at a new session never reaches Braze (the token stays); 4.0.3-4.7.1 and 4.10.1 (the next
        # version on npm) queue it
        _feature(
            "null_push_token",
            "4.0.0",
            "a null push token reaches Braze (unregisterPush(), a blocked permission at the next session)",
            removed="4.8.3",
            restored="4.10.1",
        ),
        # 6.10.0 "Added braze.logout()"
        _feature("logout", "6.10.0", "braze.logout()"),
        # 6.11.0 "Added braze.registerPush()"
        _feature("register_push", "6.11.0", "braze.registerPush()"),
    )
}


def feature(name: str) -> Feature:
    try:
        return FEATURES[name]
    except KeyError:
        raise ValueError(f"unknown Web SDK feature {name!r}; known: {', '.join(sorted(FEATURES))}") from None


def has_feature(version: str, name: str) -> bool:
    return feature(name).present_in(parse_version(version))


def missing_reason(version: str, name: str) -> str | None:
    """Why `version` lacks feature `name` (a skip reason naming the feature and the versions that have it), or None."""
    f = feature(name)
    v = parse_version(version)
    if f.present_in(v):
        return None

    def show(x: Version) -> str:
        return ".".join(map(str, x))

    if f.removed is not None and f.removed <= v:
        back = f" until {show(f.restored)}" if f.restored else ""
        return f"{name}: {f.what} — removed in Web SDK {show(f.removed)}{back}; this run uses {version} ({CHANGELOG_URL})"
    return f"{name}: {f.what} needs Web SDK >= {show(f.since)}; this run uses {version} ({CHANGELOG_URL})"


# --- retries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetrySchedule:
    """How a version schedules its next /data/ request after a failed one (HTTP error, dropped connection,
    `auth_error` answer).

    Before 6.5.0 (request-controller.js in the npm sources): `next = min(max_delay_s, random(flush_interval_s,
    growth * previous))`, `previous` starting at the flush interval (10 s; 3 s on Safari), plus the Retry-After
    from 5.7.0 on. Nothing in the server's answer shortens it, so the first retry comes 10-30 s after the
    failure, the second up to 90 s after that. From 6.5.0 the same jittered growth uses the server config's
    `request_backoff` (`min_sleep_duration_ms`, `scale_factor`, `max_sleep_duration_ms`), which the emulator
    sets short (docs/web-sdk-wire.md)."""

    server_configurable: bool
    honours_retry_after: bool
    flush_interval_s: float = 10.0
    growth: float = 3.0
    max_delay_s: float = 300.0

    def longest_next_delay_s(self, previous_s: float | None = None) -> float:
        """The longest the SDK may wait before its next retry, given its previous delay (None: the first retry)."""
        previous = max(previous_s or self.flush_interval_s, self.flush_interval_s)
        return min(self.max_delay_s, self.growth * previous)


def retry_schedule(version: str) -> RetrySchedule:
    return RetrySchedule(
        server_configurable=has_feature(version, "server_backoff"),
        honours_retry_after=has_feature(version, "retry_after"),
    )
