"""The one waiting assertion DSL, for the wire and for profiles.

expect.custom_event("song_played", props={"genre": "jazz"}, user="u1").within(5)
expect.session_start(user="u1").exactly(1).within(5, settle=0.5)
expect.event("ce", name="oops").never(within=2)
expect.in_order(expect.session_end(), expect.session_start(user="u1")).within(5)
expect.profile("u1").has(first_name="Ada", sessions=2, custom_events={"song_played": 3}).within(5)
expect.nothing_lost("u1", ["song_played", ("skip", {"n": 2})]).within(10)   # once each, after the SDK's retries
expect.custom_event("cart", props={"total": approx(19.99, abs=0.01)}).within(5)   # type-strict unless told
expect.in_workspace("prod").custom_event("x").within(5)   # the `test` workspace unless told (workspaces.py)
expect.metrics("welcome").totals(si=1).uniques(si=1).within(5)   # campaign metrics (needs a metrics reader)
expect.rest("/users/track", body={"attributes": [{"external_id": "u1"}]}, status=201).within(5)  # a backend's call
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from braze_harness.expect.cdp import CdpMappingExpectation
from braze_harness.expect.data_points import DataPointsExpectation
from braze_harness.expect.delivery import DeliveredEvent, Delivery, NothingLostExpectation
from braze_harness.expect.matchers import Matcher, approx, matcher, numeric
from braze_harness.expect.metrics import MetricsExpectation, MetricsReader
from braze_harness.expect.patterns import ANONYMOUS, ANY, AttributesPattern, Diff, EventPattern
from braze_harness.expect.profile import ProfileExpectation
from braze_harness.expect.report import ExpectationFailed
from braze_harness.expect.rest import RestExpectation, RestMatch, RestPattern
from braze_harness.expect.source import JournalSource, Source
from braze_harness.expect.waiting import (
    DEFAULT_TIMEOUT,
    AttributesExpectation,
    AttributesMatch,
    EventExpectation,
    EventMatch,
    OrderExpectation,
)
from braze_harness.expect.workspaces import ALL, DEFAULT_WORKSPACE, BrazeWorkspaceWarning
from braze_harness.protocol.cdp import BrazeKitMapping
from braze_harness.protocol.events import Event


class Expect:
    """Entry point bound to one scope's source (the per-test handle exposes one as `braze.expect`)."""

    def __init__(
        self,
        source: Source,
        default_timeout: float = DEFAULT_TIMEOUT,
        *,
        metrics: MetricsReader | None = None,
        workspace: str | None = DEFAULT_WORKSPACE,
        looked: set[str | None] | None = None,
    ) -> None:
        self.source = source
        self.default_timeout = default_timeout
        self.read_metrics = metrics
        # where expectations look (workspaces.py): the test's `test` workspace unless told; `looked` records where
        # they looked, for the end-of-test warning about traffic nobody looked at
        self.workspace = workspace
        self.looked: set[str | None] = set() if looked is None else looked

    def in_workspace(self, name: str) -> Expect:
        """The same expectations, reading workspace `name` of the test: `braze.expect.in_workspace("prod").event(...)`."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"in_workspace(name): a workspace name such as 'prod', not {name!r}")
        return Expect(self.source, self.default_timeout, metrics=self.read_metrics, workspace=name, looked=self.looked)

    def in_all_workspaces(self) -> Expect:
        """The same expectations, reading every workspace (and keys in none)."""
        return Expect(self.source, self.default_timeout, metrics=self.read_metrics, workspace=ALL, looked=self.looked)

    def _in(self) -> dict[str, Any]:
        return {"workspace": self.workspace, "looked": self.looked}

    def mark(self) -> int:
        """A point in the journal: `expect....after(mark)` ignores what came before it."""
        return self.source.latest_seq()

    def event(
        self,
        code: str | None = None,
        *,
        name: str | None = None,
        props: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        user: Any = ANY,
        session: str | None = None,
        device: str | None = None,
        api_key: str | None = None,
        where: Callable[[Event], bool] | None = None,
    ) -> EventExpectation:
        pattern = EventPattern(
            code=code, name=name, props=props, data=data, user=user, session=session, device=device, api_key=api_key, where=where
        )
        return EventExpectation(self.source, pattern, self.default_timeout, **self._in())

    def custom_event(self, name: str, props: Mapping[str, Any] | None = None, **kw: Any) -> EventExpectation:
        return self.event("ce", name=name, props=props, **kw)

    def purchase(
        self,
        product_id: str,
        *,
        price: Any = ANY,
        currency: Any = ANY,
        quantity: Any = ANY,
        props: Mapping[str, Any] | None = None,
        **kw: Any,
    ) -> EventExpectation:
        data = {k: v for k, v in {"p": _price(price), "c": currency, "q": quantity}.items() if v is not ANY}
        return self.event("p", name=product_id, props=props, data=data or None, **kw)

    def session_start(self, **kw: Any) -> EventExpectation:
        return self.event("ss", **kw)

    def session_end(self, **kw: Any) -> EventExpectation:
        return self.event("se", **kw)

    def attributes(self, user: Any = ANY, **fields: Any) -> AttributesExpectation:
        return AttributesExpectation(self.source, AttributesPattern(fields=fields, user=user), self.default_timeout, **self._in())

    def in_order(self, *steps: EventExpectation | EventPattern) -> OrderExpectation:
        patterns = [s.pattern if isinstance(s, EventExpectation) else s for s in steps]
        return OrderExpectation(self.source, patterns, self.default_timeout, **self._in())

    def nothing_lost(
        self,
        user: str | None,
        logged: Iterable[str | tuple[str, Mapping[str, Any]]],
        *,
        device: str | None = None,
    ) -> NothingLostExpectation:
        """Every custom event `user` logged (names, or (name, props ⊇)) is applied exactly once to the
        profile after the SDK's retries: retried deliveries deduplicated by event identity (see delivery.py).
        `user=None, device=...`: the anonymous events of one device."""
        return NothingLostExpectation(self.source, user, logged, self.default_timeout, device=device, **self._in())

    def metrics(self, campaign_id: str) -> MetricsExpectation:
        """A campaign's (or canvas's) engagement counts: `.totals(si=1).uniques(si=1).within()`."""
        if self.read_metrics is None:
            raise RuntimeError(
                "this Expect has no metrics reader (e.g. a HAR import): campaign metrics need the emulator's control API"
            )
        return MetricsExpectation(self.source, self.read_metrics, campaign_id, self.default_timeout)

    def cdp_mapping(self, cdp: str | None = None, *, kit: BrazeKitMapping | None = None) -> CdpMappingExpectation:
        """Each call the app made to the CDP (`mparticle`, `segment`; None: the one in this test's traffic) reached Braze
        as its Braze kit or destination maps it (expect/cdp.py); `kit`: mParticle's kit settings that change the mapping
        (`BrazeKitMapping(forward_sku_as_product_name=False)`)."""
        return CdpMappingExpectation(self.source, self.default_timeout, cdp=cdp, kit=kit or BrazeKitMapping())

    def data_points(self, user: str | None = None) -> DataPointsExpectation:
        """The Braze data points `user`'s traffic (or all of this scope's) costs: `.at_most(n)`, `.no_waste()`."""
        return DataPointsExpectation(self.source, user)

    def rest(
        self,
        path: str,
        *,
        method: str | None = None,
        body: Any = ANY,
        status: Any = ANY,
        answer: Any = ANY,
        where: Callable[[RestMatch], bool] | None = None,
    ) -> RestExpectation:
        """A backend's REST call to `path` (journaled with the SDK's traffic, never counted as SDK traffic)."""
        pattern = RestPattern(path=path, method=method, body=body, status=status, answer=answer, where=where)
        return RestExpectation(self.source, pattern, self.default_timeout)

    def profile(self, external_id: str | None = None, *, device_id: str | None = None) -> ProfileExpectation:
        return ProfileExpectation(
            self.source, external_id=external_id, device_id=device_id, default_timeout=self.default_timeout, **self._in()
        )


def _price(price: Any) -> Any:
    """The one place a numeric string equals a number by default: a purchase's price is sent as a 2-decimal string by
    the Web SDK (docs/web-sdk-wire.md#event-codes) and as a number by the mobile SDKs and REST, and Braze takes both
    as the price (https://www.braze.com/docs/api/objects_filters/purchase_object/)."""
    if price is ANY or callable(price):
        return price
    if isinstance(price, str):
        return numeric(float(price))
    return numeric(price)


__all__ = [
    "ANONYMOUS",
    "ANY",
    "AttributesMatch",
    "BrazeWorkspaceWarning",
    "DataPointsExpectation",
    "DeliveredEvent",
    "Delivery",
    "Diff",
    "EventMatch",
    "EventPattern",
    "Expect",
    "ExpectationFailed",
    "JournalSource",
    "Matcher",
    "MetricsExpectation",
    "MetricsReader",
    "NothingLostExpectation",
    "RestExpectation",
    "RestMatch",
    "RestPattern",
    "Source",
    "approx",
    "matcher",
    "numeric",
]
