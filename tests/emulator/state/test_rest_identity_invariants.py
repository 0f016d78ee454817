"""Any sequence of REST identity calls (and SDK identification in between) leaves the workspace's indexes agreeing
with its profiles: every alias, external id and deprecated id names one live profile, no device points at a deleted
one (state/rest_identity.py)."""

from __future__ import annotations

from typing import Any

from braze_harness.emulator.state import identity, rest_identity
from braze_harness.emulator.state.rest_users import RestInputError
from braze_harness.emulator.state.workspaces import Workspace
from hypothesis import given, settings
from hypothesis import strategies as st

# the field names the endpoints read, so random bodies reach past the first check
KEYS = [
    *("aliases_to_identify", "emails_to_identify", "user_aliases", "alias_updates", "merge_updates"),
    *("external_id_renames", "external_ids", "braze_ids", "email_addresses", "external_id", "user_alias", "email"),
    *("prioritization", "alias_name", "alias_label", "old_alias_name", "new_alias_name", "identifier_to_merge"),
    *("identifier_to_keep", "current_external_id", "new_external_id", "phone"),
]
IDS = st.sampled_from(["a", "b", "c", "d"])
NAMES = st.sampled_from(["n1", "n2", "n3"])
LABELS = st.sampled_from(["crm", "web"])
ALIAS = st.fixed_dictionaries({"alias_name": NAMES, "alias_label": LABELS})
IDENT = st.one_of(st.fixed_dictionaries({"external_id": IDS}), st.fixed_dictionaries({"user_alias": ALIAS}))

CALLS = st.one_of(
    st.tuples(
        st.just("/users/alias/new"),
        st.fixed_dictionaries(
            {
                "user_aliases": st.lists(
                    st.one_of(ALIAS, st.builds(lambda a, e: {**a, "external_id": e}, ALIAS, IDS)), min_size=1, max_size=3
                )
            }
        ),
    ),
    st.tuples(
        st.just("/users/alias/update"),
        st.fixed_dictionaries(
            {
                "alias_updates": st.lists(
                    st.fixed_dictionaries({"alias_label": LABELS, "old_alias_name": NAMES, "new_alias_name": NAMES}),
                    min_size=1,
                    max_size=2,
                )
            }
        ),
    ),
    st.tuples(
        st.just("/users/identify"),
        st.fixed_dictionaries(
            {
                "aliases_to_identify": st.lists(
                    st.fixed_dictionaries({"external_id": IDS, "user_alias": ALIAS}), min_size=1, max_size=2
                )
            }
        ),
    ),
    st.tuples(
        st.just("/users/merge"),
        st.fixed_dictionaries(
            {
                "merge_updates": st.lists(
                    st.fixed_dictionaries({"identifier_to_merge": IDENT, "identifier_to_keep": IDENT}), min_size=1, max_size=2
                )
            }
        ),
    ),
    st.tuples(
        st.just("/users/external_ids/rename"),
        st.fixed_dictionaries(
            {
                "external_id_renames": st.lists(
                    st.fixed_dictionaries({"current_external_id": IDS, "new_external_id": IDS}), min_size=1, max_size=2
                )
            }
        ),
    ),
    st.tuples(
        st.just("/users/external_ids/remove"), st.fixed_dictionaries({"external_ids": st.lists(IDS, min_size=1, max_size=2)})
    ),
    st.tuples(
        st.just("/users/delete"),
        st.one_of(
            st.fixed_dictionaries({"external_ids": st.lists(IDS, min_size=1, max_size=2)}),
            st.fixed_dictionaries({"user_aliases": st.lists(ALIAS, min_size=1, max_size=2)}),
        ),
    ),
)
# SDK traffic (a device's data, anonymous or as a user) is what creates most profiles: drawn as often as REST calls
SDK = st.tuples(st.just("sdk"), st.tuples(st.sampled_from(["dev1", "dev2", "dev3"]), st.one_of(st.none(), IDS)))


def _sdk(ws: Workspace, device: str, user: str | None, now: float) -> None:
    """What an SDK request does to identity: its data routed to a profile (identify.py)."""
    identity.route(ws, device, user, when=now, now=now, keep_logs=True)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(SDK, CALLS), max_size=14))
def test_indexes_agree_with_profiles_after_any_calls(calls: list[tuple[str, Any]]) -> None:
    ws = Workspace(name="w")
    # a populated workspace to start from (random lists are mostly short): two identified app users, an anonymous
    # one, alias-only profiles and an alias on a known user
    seed = [("sdk", ("dev1", "a")), ("sdk", ("dev2", "b")), ("sdk", ("dev3", None))]
    aliases = [{"alias_name": "n1", "alias_label": "crm"}, {"alias_name": "n2", "alias_label": "web"}]
    seed.append(
        ("/users/alias/new", {"user_aliases": [*aliases, {"alias_name": "n3", "alias_label": "crm", "external_id": "b"}]})
    )
    for step, (path, body) in enumerate(seed + calls):
        if path == "sdk":
            _sdk(ws, *body, now=1000.0 + step)
        else:
            rest_identity.HANDLERS[path](ws, body, now=1000.0 + step)
        assert ws.index_errors() == [], (step, path, body)
        for old, braze_id in ws.deprecated_external_ids.items():
            assert braze_id in ws.profiles and old not in ws.by_external_id


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.sampled_from(["a", "crm", "x@y.z", "identified"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(rest_identity.HANDLERS)), st.dictionaries(st.sampled_from(KEYS), JSON, max_size=3) | JSON)
def test_any_body_is_an_answer_or_a_named_400(path: str, body: Any) -> None:
    """Whatever JSON a backend sends: an answer, or RestInputError (a 400 naming the field), never another exception."""
    ws = Workspace(name="w")
    identity.route(ws, "dev1", "a", when=1.0, now=1.0, keep_logs=True)
    try:
        out = rest_identity.HANDLERS[path](ws, body, now=2.0)
    except RestInputError as exc:
        assert str(exc) and exc.braze_message
    else:
        assert out["message"] == "success"
    assert ws.index_errors() == []
