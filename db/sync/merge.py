"""Merging pulled changes into the local database, inside the pull's transaction.

Records merge field by field: a pulled value replaces the local one only if its clock is
higher (stamps end with the workstation id, which breaks ties), so every replica ends up
with each field's highest-clock write whatever order changes arrive in, however often.
Every change says which clock each of its fields replaced where it was written (its
"base"); a winner whose base is older than the value it beats did not see that value:
that is a conflict, recorded with both values and both writers. Events, policy versions and
attachments are grow-only sets. Triggers are off meanwhile (``sync_capture.applying``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from db.models import UtcDateTime
from db.sync import tables
from db.sync.tables import clock_key, origin
from db.sync.transport import RemoteChange

_utc = UtcDateTime()
_CHUNK = 400  # ids per IN (…) list


@dataclass(slots=True)
class _Clock:
    hlc: str
    base: str


def _json(value: Any) -> str:
    return json.dumps(tables.encode(value), ensure_ascii=False, sort_keys=True)


class Merger:
    """Applies one pull's changes on ``connection``; collects what it touched."""

    def __init__(
        self, connection: Connection, workstation_id: str, author: str, now: datetime
    ) -> None:
        self._c = connection
        self._workstation = workstation_id
        self._author = author
        self._noticed = _utc.process_bind_param(now.astimezone(UTC), connection.dialect)
        self._events: list[RemoteChange] = []
        self.incidents: set[str] = set()
        self.entities: set[str] = set()

    def _sql(self, statement: str, params: Any = ()) -> Any:
        return self._c.exec_driver_sql(statement, params)

    # -- dispatch ---------------------------------------------------------------------------

    def apply(self, change: RemoteChange) -> None:
        if change.entity in tables.RECORD_TABLES:
            self._apply_record(change)
        elif change.entity == "incident_events":
            self._events.append(change)
        elif change.entity == "policy_versions":
            self._apply_policy(change)
        elif change.entity == "attachments":
            self._insert_if_new(change)
        # Anything else comes from a newer console: ignored, it stays in the server's log.

    def finish(self) -> None:
        """Insert the collected events, then retry changes stashed by earlier pulls."""
        self._insert_events(self._events)
        self._events = []
        self._retry_stash()

    # -- records ----------------------------------------------------------------------------

    def _clocks(self, table: str, row_id: str) -> dict[str, _Clock]:
        rows = self._sql(
            "SELECT field, hlc, base FROM sync_field_clocks WHERE entity = ? AND row_id = ?",
            (table, row_id),
        )
        return {f: _Clock(h, b) for f, h, b in rows}

    def _row(self, table: str, row_id: str) -> dict[str, Any] | None:
        names = ("hlc", *tables.record_fields(table))
        quoted = ", ".join(f'"{n}"' for n in names)
        found = self._sql(f"SELECT {quoted} FROM {table} WHERE id = ?", (row_id,)).fetchone()
        return dict(zip(names, found, strict=True)) if found is not None else None

    def _writer(self, stamp: str) -> str:
        return self._author if origin(stamp) == self._workstation else ""

    def _apply_record(self, change: RemoteChange) -> None:
        table = change.entity
        known = set(tables.record_fields(table))
        fields = {k: tables.decode(v) for k, v in change.fields.items() if k in known}
        if not fields:
            return
        row = self._row(table, change.row_id)
        if row is None:
            self._insert_record(change, fields)
            return
        clocks = self._clocks(table, change.row_id)
        incoming = clock_key(change.hlc)
        winners: dict[str, Any] = {}
        for name, value in fields.items():
            current = clocks.get(name)
            base = str(change.bases.get(name) or "")
            if current is None or incoming > clock_key(current.hlc):
                winners[name] = value
                beaten = current is not None and row[name] != value
                if beaten and current and self._concurrent(base, current.hlc, change.hlc):
                    self._conflict(
                        table, change.row_id, name,
                        lost=(row[name], current.hlc, self._writer(current.hlc)),
                        won=(value, change.hlc, change.author),
                    )  # fmt: skip
            elif (
                incoming < clock_key(current.hlc)
                and row[name] != value
                and self._concurrent(current.base, change.hlc, current.hlc)
            ):
                self._conflict(
                    table, change.row_id, name,
                    lost=(value, change.hlc, change.author),
                    won=(row[name], current.hlc, self._writer(current.hlc)),
                )  # fmt: skip
        if not winners:
            return
        stamp = max(row["hlc"] or "", change.hlc, key=clock_key)
        assignments = ", ".join(f'"{name}" = ?' for name in winners)
        self._sql(
            f"UPDATE {table} SET {assignments}, hlc = ? WHERE id = ?",
            (*winners.values(), stamp, change.row_id),
        )
        self._set_clocks(table, change.row_id, {n: (change.hlc, change.bases) for n in winners})
        self.entities.add(table)

    @staticmethod
    def _concurrent(winner_base: str, loser: str, winner: str) -> bool:
        """The winner was written without seeing the loser (and by another workstation)."""
        if not loser or origin(loser) == origin(winner):
            return False
        return clock_key(winner_base) < clock_key(loser)

    def _set_clocks(
        self, table: str, row_id: str, written: dict[str, tuple[str, dict[str, Any]]]
    ) -> None:
        self._sql(
            "INSERT OR REPLACE INTO sync_field_clocks (entity, row_id, field, hlc, base)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (table, row_id, name, hlc, str(bases.get(name) or ""))
                for name, (hlc, bases) in written.items()
            ],
        )

    def _insert_record(self, change: RemoteChange, fields: dict[str, Any]) -> None:
        """A row seen for the first time: insert it from this change and any stashed ones."""
        table = change.entity
        stashed = self._stashed(table, change.row_id)
        best: dict[str, tuple[Any, str, dict[str, Any]]] = {}
        for seq, earlier in stashed:
            if seq == change.seq:
                continue
            for name, value in earlier.fields.items():
                self._keep_best(best, name, tables.decode(value), earlier)
        for name, value in fields.items():
            self._keep_best(best, name, value, change)
        values = {**tables.fallbacks(table), **{n: v for n, (v, _, _) in best.items()}}
        missing = [n for n in tables.record_fields(table) if n not in values]
        if missing:
            self._stash(change)
            return
        stamp = max((h for _, h, _ in best.values()), key=clock_key)
        names = ("id", "hlc", *tables.record_fields(table))
        row = (change.row_id, stamp, *(values[n] for n in tables.record_fields(table)))
        quoted = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("?" for _ in names)
        try:
            with self._c.begin_nested():
                self._sql(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", row)
        except IntegrityError:  # what it refers to has not arrived yet
            self._stash(change)
            return
        self._set_clocks(table, change.row_id, {n: (h, b) for n, (_, h, b) in best.items()})
        if stashed:
            self._sql(
                "DELETE FROM sync_stash WHERE entity = ? AND row_id = ?", (table, change.row_id)
            )
        self.entities.add(table)

    @staticmethod
    def _keep_best(
        best: dict[str, tuple[Any, str, dict[str, Any]]],
        name: str,
        value: Any,
        change: RemoteChange,
    ) -> None:
        if name in tables.record_fields(change.entity):
            held = best.get(name)
            if held is None or clock_key(change.hlc) > clock_key(held[1]):
                best[name] = (value, change.hlc, change.bases)

    def _conflict(
        self,
        table: str,
        row_id: str,
        name: str,
        *,
        lost: tuple[Any, str, str],
        won: tuple[Any, str, str],
    ) -> None:
        seen = self._sql(
            "SELECT 1 FROM sync_conflicts WHERE entity = ? AND row_id = ? AND field = ?"
            " AND lost_hlc = ? AND won_hlc = ? AND lost_value = ?",
            (table, row_id, name, lost[1], won[1], _json(lost[0])),
        ).fetchone()
        if seen is not None:  # the same two writes, met again (a change pulled twice)
            return
        self._sql(
            "INSERT INTO sync_conflicts (entity, row_id, field, lost_value, lost_hlc,"
            " lost_author, won_value, won_hlc, won_author, noticed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                table,
                row_id,
                name,
                _json(lost[0]),
                lost[1],
                lost[2],
                _json(won[0]),
                won[1],
                won[2],
                self._noticed,
            ),
        )

    # -- the stash --------------------------------------------------------------------------

    def _stash(self, change: RemoteChange) -> None:
        payload = {
            "workstation": change.workstation,
            "author": change.author,
            "hlc": change.hlc,
            "fields": change.fields,
            "bases": change.bases,
        }
        self._sql(
            "INSERT OR REPLACE INTO sync_stash (seq, entity, row_id, change) VALUES (?, ?, ?, ?)",
            (change.seq, change.entity, change.row_id, json.dumps(payload)),
        )

    def _stashed(self, table: str, row_id: str) -> list[tuple[int, RemoteChange]]:
        rows = self._sql(
            "SELECT seq, change FROM sync_stash WHERE entity = ? AND row_id = ? ORDER BY seq",
            (table, row_id),
        )
        return [(seq, self._unstash(seq, table, row_id, text)) for seq, text in rows]

    @staticmethod
    def _unstash(seq: int, table: str, row_id: str, text: str) -> RemoteChange:
        data = json.loads(text)
        return RemoteChange(
            seq=seq,
            workstation=data["workstation"],
            author=data["author"],
            entity=table,
            row_id=row_id,
            hlc=data["hlc"],
            fields=data["fields"],
            bases=data["bases"],
        )

    def _retry_stash(self) -> None:
        rows = self._sql("SELECT seq, entity, row_id, change FROM sync_stash ORDER BY seq")
        pending = [self._unstash(seq, t, r, text) for seq, t, r, text in rows]
        for change in pending:
            still = self._sql("SELECT 1 FROM sync_stash WHERE seq = ?", (change.seq,)).fetchone()
            if still is None:  # used up by an insert of its row just now
                continue
            if self._row(change.entity, change.row_id) is not None:
                self._sql("DELETE FROM sync_stash WHERE seq = ?", (change.seq,))
            self._apply_record(change)

    # -- grow-only sets ---------------------------------------------------------------------

    def _insert_if_new(self, change: RemoteChange) -> bool:
        table = change.entity
        names = [n for n in tables.columns(table) if n in change.fields]
        quoted = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("?" for _ in names)
        result = self._sql(
            f"INSERT OR IGNORE INTO {table} ({quoted}) VALUES ({marks})",
            tuple(tables.decode(change.fields[n]) for n in names),
        )
        if result.rowcount:
            self.entities.add(table)
        return bool(result.rowcount)

    def _apply_policy(self, change: RemoteChange) -> None:
        """Versions are numbered per database: two saved concurrently share a number. The one
        with the lower id keeps it on every replica; the other is recorded as a conflict."""
        same = self._sql(
            "SELECT created_at, author, text FROM policy_versions WHERE id = ?", (change.row_id,)
        ).fetchone()
        if same is not None:
            # Version 1 is seeded with one id everywhere, stamped with each one's own time:
            # the earliest copy is kept everywhere.
            copy = tuple(str(change.fields.get(k) or "") for k in ("created_at", "author", "text"))
            if copy < tuple(str(v or "") for v in same):
                self._sql(
                    "UPDATE policy_versions SET created_at = ?, author = ?, text = ? WHERE id = ?",
                    (*copy, change.row_id),
                )
            return
        version = change.fields.get("version")
        clash = self._sql(
            "SELECT id, author FROM policy_versions WHERE version = ?", (version,)
        ).fetchone()
        if clash is not None:
            theirs = f"saved by {change.fields.get('author') or 'someone'}"
            ours = f"saved by {clash[1] or 'someone'}"
            if change.row_id < clash[0]:
                self._sql("DELETE FROM policy_versions WHERE id = ?", (clash[0],))
                self._conflict(
                    "policy_versions", change.row_id, "text",
                    lost=(ours, "", ""), won=(theirs, "", change.author),
                )  # fmt: skip
            else:
                self._conflict(
                    "policy_versions", clash[0], "text",
                    lost=(theirs, "", change.author), won=(ours, "", ""),
                )  # fmt: skip
                return
        self._insert_if_new(change)

    def _insert_events(self, changes: Sequence[RemoteChange]) -> None:
        if not changes:
            return
        unique = {c.row_id: c for c in changes}
        present: set[str] = set()
        ids = list(unique)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ", ".join("?" for _ in chunk)
            present.update(
                r[0]
                for r in self._sql(
                    f"SELECT id FROM incident_events WHERE id IN ({marks})", tuple(chunk)
                )
            )
        fresh = [c for c in unique.values() if c.row_id not in present]
        if not fresh:
            return
        names = tables.columns("incident_events")
        quoted = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("?" for _ in names)
        self._sql(
            f"INSERT OR IGNORE INTO incident_events ({quoted}) VALUES ({marks})",
            [tuple(c.fields.get(n) for n in names) for c in fresh],
        )
        self.incidents.update(str(c.fields.get("incident_id")) for c in fresh)
        self.entities.add("incident_events")


def stamps(changes: Iterable[RemoteChange]) -> str:
    """The highest clock among changes ('' if none carries one)."""
    return max((c.hlc for c in changes if c.hlc), key=clock_key, default="")
