"""A `Workspace` read from PostgreSQL inside one transaction, for the rules that change profiles (state/apply.py,
rest_users.py, rest_identity.py, csv_rows.py) to run on unchanged. Its maps are read row by row when the rules
look something up (a profile, a device's identity state, an index entry) and the rows that changed are written
back by `flush`, before the transaction commits.

The transaction holds the workspace's advisory lock (state/store_pg.py) for its whole length, so what it read
stays what the database holds until it commits: a lookup that found nothing may be remembered, and the index
maps (external_id, alias, session, push token -> braze_id) are answered from the profiles' index columns plus what
this transaction changed. Those columns are written from the profiles themselves, so an index map's own writes
are never stored: the rules keep both in step, as they do in memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

from braze_harness.emulator.state import docs_pg
from braze_harness.emulator.state.profiles import Profile
from braze_harness.emulator.state.workspaces import App, DeviceRecord, DeviceState, Workspace

_MISSING = object()


@dataclass(frozen=True, slots=True)
class _Spec:
    """How one table's rows of a workspace are read and written: `key` columns (their values in the key tuple)."""

    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]  # the stored columns besides the key, `encode`'s output
    decode: Callable[..., Any]  # (*key, *columns) -> value
    encode: Callable[[Any], tuple[Any, ...]]
    order: str = ""  # ORDER BY of a full read (creation order)


class Table(MutableMapping[Any, Any]):
    """One table's rows of the workspace as a dict (keys: a value, or a tuple for a key of several columns)."""

    def __init__(self, conn: Any, run: str, workspace: str, spec: _Spec) -> None:
        self._conn, self._where, self._spec = conn, (run, workspace), spec
        self._multi = len(spec.key) > 1
        self._values: dict[Any, Any] = {}
        self._stored: dict[Any, tuple[Any, ...] | None] = {}  # the columns read (None: not in the database)
        self._absent: set[Any] = set()  # looked up and not there, or deleted here
        self._complete = False

    def _key_args(self, key: Any) -> tuple[Any, ...]:
        return tuple(key) if self._multi else (key,)

    def _read(self, rows: list[tuple[Any, ...]]) -> list[Any]:
        n = len(self._spec.key)
        keys = []
        for row in rows:
            key = tuple(row[:n]) if self._multi else row[0]
            keys.append(key)
            if key in self._values or key in self._absent:
                continue  # this transaction's version wins
            self._values[key] = self._spec.decode(*row)
            self._stored[key] = tuple(row[n:])
        return keys

    def _lookup(self, key: Any) -> Any:
        found = self._values.get(key, _MISSING)
        if found is not _MISSING:
            return found
        if self._complete or key in self._absent:
            return _MISSING
        spec = self._spec
        cond = " AND ".join(f"{k} = %s" for k in spec.key)
        row = self._conn.execute(
            f"SELECT {', '.join(spec.key + spec.columns)} FROM {spec.table} WHERE run = %s AND workspace = %s AND {cond}",
            (*self._where, *self._key_args(key)),
        ).fetchone()
        if row is None:
            self._absent.add(key)
            return _MISSING
        self._read([row])
        return self._values[key]

    def _load_all(self) -> None:
        if self._complete:
            return
        spec = self._spec
        rows = self._conn.execute(
            f"SELECT {', '.join(spec.key + spec.columns)} FROM {spec.table} WHERE run = %s AND workspace = %s {spec.order}",
            self._where,
        ).fetchall()
        ordered = self._read(rows)
        # the database's order (creation), then what this transaction added
        values = {k: self._values[k] for k in ordered if k in self._values}
        values.update(self._values)
        self._values = values
        self._complete = True

    def __getitem__(self, key: Any) -> Any:
        found = self._lookup(key)
        if found is _MISSING:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return self._lookup(key) is not _MISSING

    def get(self, key: Any, default: Any = None) -> Any:
        found = self._lookup(key)
        return default if found is _MISSING else found

    def __setitem__(self, key: Any, value: Any) -> None:
        self._values[key] = value
        self._absent.discard(key)
        self._stored.setdefault(key, None)

    def __delitem__(self, key: Any) -> None:
        if self._lookup(key) is _MISSING:
            raise KeyError(key)
        del self._values[key]
        self._absent.add(key)

    def __iter__(self) -> Iterator[Any]:
        self._load_all()
        return iter(list(self._values))

    def __len__(self) -> int:
        self._load_all()
        return len(self._values)

    def flush(self) -> None:
        """Write what changed: deleted rows, changed rows, new rows (in that order)."""
        spec = self._spec
        names = spec.key + spec.columns
        gone = [self._key_args(k) for k in self._absent if self._stored.get(k) is not None]
        changed, new = [], []
        for key, value in self._values.items():
            stored, columns = self._stored.get(key), spec.encode(value)
            if stored == columns:
                continue  # read and left as it was
            (new if stored is None else changed).append((*self._key_args(key), *columns))
        cur = self._conn.cursor()
        cond = " AND ".join(f"{k} = %s" for k in spec.key)
        if gone:
            cur.executemany(
                f"DELETE FROM {spec.table} WHERE run = %s AND workspace = %s AND {cond}", [(*self._where, *k) for k in gone]
            )
        if changed:
            sets = ", ".join(f"{c} = %s" for c in spec.columns)
            n = len(spec.key)
            cur.executemany(
                f"UPDATE {spec.table} SET {sets} WHERE run = %s AND workspace = %s AND {cond}",
                [(*row[n:], *self._where, *row[:n]) for row in changed],
            )
        if new:
            marks = ", ".join(["%s"] * (len(names) + 2))
            cur.executemany(
                f"INSERT INTO {spec.table} (run, workspace, {', '.join(names)}) VALUES ({marks})",
                [(*self._where, *row) for row in new],
            )


class Index(MutableMapping[Any, str]):
    """An index of the workspace (a key -> the braze_id of the profile holding it), answered from a profile column
    plus this transaction's writes. `column_has`: the SQL condition finding the profile holding a key."""

    def __init__(
        self,
        conn: Any,
        run: str,
        workspace: str,
        column_has: str,
        to_sql: Callable[[Any], Any],
        all_sql: str,
        from_sql: Callable[[Any], Any],
    ) -> None:
        self._conn, self._where = conn, (run, workspace)
        self._column_has, self._to_sql, self._all_sql, self._from_sql = column_has, to_sql, all_sql, from_sql
        self._here: dict[Any, str | None] = {}  # written (None: deleted) or looked up in this transaction

    def _lookup(self, key: Any) -> str | None:
        if key in self._here:
            return self._here[key]
        row = self._conn.execute(
            f"SELECT braze_id FROM braze_profiles WHERE run = %s AND workspace = %s AND {self._column_has} LIMIT 1",
            (*self._where, self._to_sql(key)),
        ).fetchone()
        self._here[key] = row[0] if row else None
        return self._here[key]

    def __getitem__(self, key: Any) -> str:
        found = self._lookup(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return self._lookup(key) is not None

    def get(self, key: Any, default: Any = None) -> Any:
        found = self._lookup(key)
        return default if found is None else found

    def __setitem__(self, key: Any, braze_id: str) -> None:
        self._here[key] = braze_id

    def __delitem__(self, key: Any) -> None:
        if self._lookup(key) is None:
            raise KeyError(key)
        self._here[key] = None

    def _all(self) -> dict[Any, str]:
        rows = self._conn.execute(self._all_sql, self._where).fetchall()
        found = {self._from_sql(k): b for k, b in rows}
        for key, braze_id in self._here.items():
            if braze_id is None:
                found.pop(key, None)
            else:
                found[key] = braze_id
        return found

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._all()))

    def __len__(self) -> int:
        return len(self._all())


def _profile_columns(p: Profile) -> tuple[Any, ...]:
    return (
        p.external_id,
        p.standard.get("email") if isinstance(p.standard.get("email"), str) else None,
        sorted(docs_pg.pair(label, name) for label, name in p.aliases.items()),
        sorted(p.sessions),
        sorted(docs_pg.pair(app, device) for app, device in p.push_tokens),
        sorted({device for _app, device in p.devices}),
        docs_pg.profile_doc(p),
    )


PROFILES = _Spec(
    "braze_profiles",
    ("braze_id",),
    ("external_id", "email", "aliases", "sessions", "tokens", "devices", "doc"),
    lambda _braze_id, *cols: docs_pg.profile_from(cols[-1]),
    _profile_columns,
    "ORDER BY seq",
)
DEVICE_STATES = _Spec(
    "braze_device_states",
    ("device_id",),
    ("doc",),
    docs_pg.device_state_from,
    lambda s: (docs_pg.device_state_doc(s),),
)
DEVICE_RECORDS = _Spec(
    "braze_device_records",
    ("app", "device_id"),
    ("doc",),
    docs_pg.device_record_from,
    lambda r: (docs_pg.device_record_doc(r),),
)
DEPRECATED_IDS = _Spec("braze_deprecated_ids", ("old",), ("braze_id",), lambda _old, braze_id: braze_id, lambda b: (b,))


class TxWorkspace:
    """The workspace `name` of `run` on the connection `conn` (in a transaction holding the workspace's lock)."""

    def __init__(self, conn: Any, run: str, name: str, scope: str | None, apps: dict[str, App]) -> None:
        self._tables = {
            spec.table: Table(conn, run, name, spec) for spec in (PROFILES, DEVICE_STATES, DEVICE_RECORDS, DEPRECATED_IDS)
        }

        def index(column_has: str, to_sql: Callable[[Any], Any], column: str, from_sql: Callable[[Any], Any]) -> Index:
            every = f"SELECT k, braze_id FROM braze_profiles, unnest({column}) AS k WHERE run = %s AND workspace = %s"
            if column == "external_id":
                every = (
                    "SELECT external_id, braze_id FROM braze_profiles "
                    "WHERE run = %s AND workspace = %s AND external_id IS NOT NULL"
                )
            return Index(conn, run, name, column_has, to_sql, every, from_sql)

        def pair_of(key: tuple[str, str]) -> str:
            return docs_pg.pair(*key)

        def same(value: Any) -> Any:
            return value

        self.workspace = Workspace(
            name=name,
            scope=scope,
            apps=apps,
            profiles=self._tables["braze_profiles"],  # type: ignore[arg-type]
            by_external_id=index("external_id = %s", same, "external_id", same),  # type: ignore[arg-type]
            by_alias=index("aliases @> ARRAY[%s]", pair_of, "aliases", docs_pg.unpair),  # type: ignore[arg-type]
            deprecated_external_ids=self._tables["braze_deprecated_ids"],  # type: ignore[arg-type]
            session_owner=index("sessions @> ARRAY[%s]", same, "sessions", same),  # type: ignore[arg-type]
            token_holder=index("tokens @> ARRAY[%s]", pair_of, "tokens", docs_pg.unpair),  # type: ignore[arg-type]
            device_states=self._tables["braze_device_states"],  # type: ignore[arg-type]
            device_records=self._tables["braze_device_records"],  # type: ignore[arg-type]
        )

    def flush(self) -> None:
        # profiles first: a deleted profile's external_id is free before another takes it (checked at commit anyway)
        for table in self._tables.values():
            table.flush()


__all__ = ["DeviceRecord", "DeviceState", "TxWorkspace"]
