"""Every store implements its interface (harness/emulator/stores.py) with the same signatures: a replica on another
store is called exactly as the in-memory default is."""

import inspect

import pytest
from braze_harness.emulator.state import EmulatorState
from braze_harness.emulator.state.engagement import EngagementLedger
from braze_harness.emulator.state.engagement_pg import PostgresEngagement
from braze_harness.emulator.state.store_pg import PostgresState
from braze_harness.emulator.stores import EngagementStore, JournalStore, StateStore, TenancyStore
from braze_harness.emulator.tenancy import Tenancy
from braze_harness.emulator.tenancy_pg import PostgresTenancy
from braze_harness.journal import Journal
from braze_harness.journal.postgres import PostgresJournal


def members(protocol):
    names = {n for n in vars(protocol) if not n.startswith("_")} | set(getattr(protocol, "__annotations__", {}))
    return sorted(names)


@pytest.mark.parametrize(
    ("protocol", "implementation"),
    [
        (JournalStore, Journal),
        (JournalStore, PostgresJournal),
        (TenancyStore, Tenancy),
        (TenancyStore, PostgresTenancy),
        (EngagementStore, EngagementLedger),
        (EngagementStore, PostgresEngagement),
        (StateStore, EmulatorState),
        (StateStore, PostgresState),
    ],
    ids=[
        "memory-journal",
        "postgres-journal",
        "memory-tenancy",
        "postgres-tenancy",
        "memory-engagement",
        "postgres-engagement",
        "memory-state",
        "postgres-state",
    ],
)
def test_the_store_has_every_member_of_its_interface_with_its_signature(protocol, implementation):
    assert members(protocol), protocol
    for name in members(protocol):
        wanted = inspect.getattr_static(protocol, name, None)
        if name in getattr(protocol, "__annotations__", {}):  # a data attribute (the journal's cap): set in __init__
            assert name in inspect.getsource(implementation.__init__), f"{implementation.__name__} never sets {name}"
            continue
        found = inspect.getattr_static(implementation, name, None)
        assert found is not None, f"{implementation.__name__} lacks {name}"
        if isinstance(wanted, property):
            assert isinstance(found, property), f"{implementation.__name__}.{name} is not a property"
            continue
        want, got = inspect.signature(getattr(protocol, name)), inspect.signature(getattr(implementation, name))
        if isinstance(found, staticmethod):  # Tenancy.new_scope: the protocol's `self` is the bound instance
            want = want.replace(parameters=list(want.parameters.values())[1:])
        assert list(got.parameters) == list(want.parameters), f"{implementation.__name__}.{name}{got} vs {want}"
        assert [p.kind for p in got.parameters.values()] == [p.kind for p in want.parameters.values()], name
