"""The sync client: push the outbox, pull the change log, keep a cursor that never goes back.

Push sends the oldest queued changes; the server skips any it already has (by change id), so
a push that timed out, was duplicated or arrives late does no harm, and a change leaves the
outbox only when a reply that names its batch says it is stored. Pull asks for the rows after
the cursor; the server's sequence numbers have no gaps, so a reply that does not continue
exactly from the cursor (a stale or reordered one) is refused rather than trusted. A page is
merged, the incidents it touched marked for re-projection and the cursor advanced in one local
transaction, so a workstation killed at any moment resumes where it stood; the marked
incidents are then re-projected, once each however many pages touched them.

No one change can stop a team's sync: a pulled change that cannot be merged is set aside in
``sync_quarantine`` (see :mod:`db.sync.merge`) and the cursor moves past it; a pushed change
the server refuses is set aside there with the server's words and leaves the outbox, so the
outbox never jams behind it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from console.domain.ids import HybridLogicalClock
from console.services.ports import Transaction
from console.services.sync import SyncRound, SyncUnavailable
from db.engine import Database
from db.errors import StoreBug
from db.models import UtcDateTime
from db.store import SqlTransaction
from db.sync import tables
from db.sync.merge import Merger, stamps
from db.sync.tables import clock_key
from db.sync.transport import RemoteChange, Transport

log = logging.getLogger(__name__)

CURSOR_KEY = "sync.cursor"
SCOPE_KEY = "sync.scope"
LAST_SYNC_KEY = "sync.last_sync"
SETTINGS_KEY = "sync.settings"

#: Called inside a local write transaction with incidents whose events a pull changed; returns
#: those it could not re-project yet (they stay marked and are retried after the next pull).
Rebuild = Callable[[Transaction, Sequence[str]], list[str]]

_utc = UtcDateTime()
_BATCH_BYTES = 4_000_000


class SyncProtocolError(SyncUnavailable):
    """A reply that does not answer the request it came back for: ignored, and retried."""


@dataclass(frozen=True, slots=True)
class SetAside:
    """A change set aside instead of merged (or refused by the server), and why in words."""

    seq: int | None  # its place in the server's log; None: refused when pushed
    entity: str
    row_id: str
    member: str  # the server login that wrote it ('' when not known)
    reason: str
    noticed_at: datetime

    def describe(self) -> str:
        what = tables.PLURALS.get(self.entity, self.entity).replace("the policy", "policy")
        where = f"change {self.seq} from the server" if self.seq is not None else "a change sent"
        by = f" by {self.member}" if self.member else ""
        return f"{where} ({what}{by}): {self.reason}"


def quarantine_count(connection: Connection) -> int:
    count = connection.exec_driver_sql("SELECT count(*) FROM sync_quarantine")
    return int(count.scalar() or 0)


def quarantined(connection: Connection, limit: int) -> list[SetAside]:
    """The latest ``limit`` changes set aside, newest first."""
    rows = connection.exec_driver_sql(
        "SELECT seq, entity, row_id, member, reason, noticed_at FROM sync_quarantine"
        " ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    return [
        SetAside(
            seq=None if seq is None else int(seq),
            entity=str(entity),
            row_id=str(row_id),
            member=str(member or ""),
            reason=str(reason),
            noticed_at=_utc.process_result_value(noticed, None),  # type: ignore[arg-type]
        )
        for seq, entity, row_id, member, reason, noticed in rows
    ]


@dataclass(frozen=True, slots=True)
class PullResult:
    pulled: int
    incident_ids: tuple[str, ...]
    entities: tuple[str, ...]


def read_meta(connection: Connection, key: str) -> str | None:
    row = connection.exec_driver_sql("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None


def write_meta(connection: Connection, key: str, value: str) -> None:
    connection.exec_driver_sql(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def expected_triggers() -> set[str]:
    names = {f"sync_{t}_{kind}" for t in tables.RECORD_TABLES for kind in ("insert", "update")}
    return names | {f"sync_{t}_insert" for t in tables.APPEND_ONLY_TABLES}


def check_triggers(connection: Connection, database: Database) -> None:
    """Refuse to sync if a migration rebuilt a synced table and lost its triggers."""
    found = {
        r[0]
        for r in connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'sync_%'"
        )
    }
    missing = expected_triggers() - found
    if missing:
        raise StoreBug(
            f"the sync triggers {sorted(missing)} are missing (a migration rebuilt their "
            "tables without creating them again), so local changes would not be sent",
            path=database.path,
        )


def enable_capture(database: Database) -> bool:
    """Queue local writes from now on, and everything written so far, once; True if new."""
    with database.transaction() as session:
        connection = session.connection()
        row = connection.exec_driver_sql("SELECT enabled FROM sync_capture WHERE id = 1").first()
        if row is not None and row[0]:
            return False
        queue_snapshot(connection)
        connection.exec_driver_sql("UPDATE sync_capture SET enabled = 1 WHERE id = 1")
    return True


def queue_snapshot(connection: Connection) -> None:
    """Queue every synced row as it stands: each record's fields with their own clocks."""
    for table in tables.ENTITY_ORDER:
        if table in tables.APPEND_ONLY_TABLES:
            clock = "hlc" if "hlc" in tables.columns(table) else "''"
            connection.exec_driver_sql(
                "INSERT INTO sync_outbox (change_id, entity, row_id, hlc, fields, bases)"
                f" SELECT lower(hex(randomblob(16))), '{table}', id, {clock}, NULL, '{{}}'"
                f" FROM {table} ORDER BY {clock}, id"
            )
            continue
        fields = tables.record_fields(table)
        clocks: dict[tuple[str, str], str] = {
            (r, f): h
            for r, f, h in connection.exec_driver_sql(
                "SELECT row_id, field, hlc FROM sync_field_clocks WHERE entity = ?", (table,)
            )
        }
        quoted = ", ".join(f'"{f}"' for f in fields)
        outbox, filled = [], []
        for row in connection.exec_driver_sql(f"SELECT id, hlc, {quoted} FROM {table}"):
            row_id, row_hlc, values = row[0], row[1] or "", dict(zip(fields, row[2:], strict=True))
            groups: dict[str, dict[str, Any]] = {}
            for name, value in values.items():
                stamp = clocks.get((row_id, name))
                if stamp is None:
                    stamp = row_hlc
                    filled.append((table, row_id, name, stamp))
                groups.setdefault(stamp, {})[name] = value
            for stamp in sorted(groups, key=clock_key):
                payload = json.dumps(groups[stamp], ensure_ascii=False)
                outbox.append((table, row_id, stamp, payload))
        if outbox:
            connection.exec_driver_sql(
                "INSERT INTO sync_outbox (change_id, entity, row_id, hlc, fields, bases)"
                " VALUES (lower(hex(randomblob(16))), ?, ?, ?, ?, '{}')",
                outbox,
            )
        if filled:
            connection.exec_driver_sql(
                "INSERT OR IGNORE INTO sync_field_clocks (entity, row_id, field, hlc, base)"
                " VALUES (?, ?, ?, ?, '')",
                filled,
            )


class SyncClient:
    """One database's side of sync with one team on one server."""

    def __init__(
        self,
        database: Database,
        transport: Transport,
        *,
        team: str,
        workstation_id: str,
        hlc: HybridLogicalClock,
        author: str = "",
        rebuild: Rebuild | None = None,
        push_batch: int = 1000,
        pull_batch: int = 2000,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = database
        self.transport = transport
        self.team = team
        self.workstation_id = workstation_id
        self.hlc = hlc
        self.author = author
        self._rebuild = rebuild
        self._push_batch = push_batch
        self._pull_batch = pull_batch
        self._now = now
        self._scope_checked = False
        self.member = ""  # this workstation's login as the server names it (from hello)
        with database.read() as session:
            check_triggers(session.connection(), database)
            top = session.connection().exec_driver_sql(
                "SELECT hlc FROM sync_field_clocks ORDER BY hlc DESC LIMIT 1"
            )
            highest = top.scalar()
        if highest:  # never stamp a local write below a value this database already holds
            hlc.observe(str(highest))

    # -- reading ----------------------------------------------------------------------------

    @property
    def cursor(self) -> int:
        with self.database.read() as session:
            return int(read_meta(session.connection(), CURSOR_KEY) or 0)

    def pending(self) -> int:
        with self.database.read() as session:
            count = session.connection().exec_driver_sql("SELECT count(*) FROM sync_outbox")
            return int(count.scalar() or 0)

    def has_pending(self) -> bool:
        with self.database.read() as session:
            found = session.connection().exec_driver_sql("SELECT 1 FROM sync_outbox LIMIT 1")
            return found.first() is not None

    # -- the round --------------------------------------------------------------------------

    def sync(self) -> SyncRound:
        """Push everything queued, then pull everything new."""
        if not self._scope_checked:
            self.check_scope()
        pushed = self.push()
        result = self.pull()
        return SyncRound(pushed, result.pulled, result.incident_ids, result.entities)

    def check_scope(self) -> None:
        """Make sure the cursor belongs to this server and team; else start over with them.

        A different server or team (or a server restored from an older backup, which has
        fewer changes than the cursor says were read) gets everything this database holds,
        and is read from its beginning.
        """
        info = self.transport.hello(self.team)
        self.member = info.member
        scope = f"{info.server_id}/{self.team}"
        with self.database.transaction() as session:
            connection = session.connection()
            stored = read_meta(connection, SCOPE_KEY)
            cursor = int(read_meta(connection, CURSOR_KEY) or 0)
            if stored != scope or info.last_seq < cursor:
                if stored is not None:
                    log.warning("sync scope changed (%s -> %s): starting over", stored, scope)
                    queue_snapshot(connection)
                if info.role == "agent":
                    # What an agent's database held when she joined (the built-in windows and
                    # policy every database seeds, her own agent record) is not hers to send:
                    # the server would refuse it, and she would start with a list of refusals.
                    # Lead-only edits she makes from now on are sent, and refused in words.
                    kinds = sorted(tables.LEAD_ONLY)
                    marks = ", ".join("?" for _ in kinds)
                    connection.exec_driver_sql(
                        f"DELETE FROM sync_outbox WHERE entity IN ({marks})", tuple(kinds)
                    )
                # Which policy versions a log confirmed is that log's business (merge.py).
                connection.exec_driver_sql(
                    "DELETE FROM sync_field_clocks WHERE entity = 'policy_versions'"
                )
                write_meta(connection, CURSOR_KEY, "0")
                write_meta(connection, SCOPE_KEY, scope)
        self._scope_checked = True

    # -- push -------------------------------------------------------------------------------

    def push(self) -> int:
        total = 0
        while True:
            sent = self.push_batch()
            if not sent:
                return total
            total += sent

    def push_batch(self) -> int:
        """Send the oldest queued changes; returns how many the server acknowledged."""
        changes, last_seq = self._next_batch()
        if last_seq is None:
            return 0
        refused: list[tuple[str, dict[str, Any]]] = []
        if changes:
            reply = self.transport.push(self.team, self.workstation_id, self.author, changes)
            if reply.last != changes[-1]["id"] or reply.received != len(changes):
                raise SyncProtocolError(
                    "The sync server's answer did not match the changes sent; sending again."
                )
            sent = {c["id"]: c for c in changes}
            refused = [(r.reason, sent[r.change_id]) for r in reply.refused if r.change_id in sent]
        with self.database.transaction() as session:
            connection = session.connection()
            if refused:
                self._set_aside(connection, refused)
            connection.exec_driver_sql("DELETE FROM sync_outbox WHERE seq <= ?", (last_seq,))
        return max(len(changes), 1)

    def _set_aside(self, connection: Connection, refused: list[tuple[str, dict[str, Any]]]) -> None:
        """Keep the changes the server refused, with its words; they leave the outbox."""
        noticed = _utc.process_bind_param(self._now(), connection.dialect)
        rows = []
        for reason, change in refused:
            text = json.dumps(change, ensure_ascii=False, default=str)
            if len(text) > 1_000_000:
                text = json.dumps({"characters": len(text), "start": text[:1_000_000]})
            rows.append(
                (change["id"], change["entity"], change["row"], self.member, reason, text, noticed)
            )
            log.warning("sync server refused %s %s: %s", change["entity"], change["row"], reason)
        connection.exec_driver_sql(
            "INSERT INTO sync_quarantine (seq, change_id, entity, row_id, member, reason, change,"
            " noticed_at) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def _next_batch(self) -> tuple[list[dict[str, Any]], int | None]:
        with self.database.read() as session:
            connection = session.connection()
            rows = connection.exec_driver_sql(
                "SELECT seq, change_id, entity, row_id, hlc, fields, bases FROM sync_outbox"
                " ORDER BY seq LIMIT ?",
                (self._push_batch,),
            ).fetchall()
            if not rows:
                return [], None
            referenced = self._referenced(connection, [r for r in rows if r[5] is None])
        changes: list[dict[str, Any]] = []
        size, last_seq = 0, None
        for seq, change_id, entity, row_id, hlc, fields_text, bases in rows:
            if fields_text is None:
                fields = referenced.get((entity, row_id))
                if fields is None:
                    log.warning("queued %s %s no longer exists; not sent", entity, row_id)
                    last_seq = seq
                    continue
            else:
                fields = json.loads(fields_text)
            change = {
                "id": change_id,
                "cseq": seq,
                "entity": entity,
                "row": row_id,
                "hlc": hlc or self.hlc.now(),  # rows with no clock of their own: when sent
                "fields": fields,
                "bases": json.loads(bases or "{}"),
            }
            size += sum(len(str(v)) for v in fields.values()) + 200
            if changes and size > _BATCH_BYTES:
                break
            changes.append(change)
            last_seq = seq
        return changes, last_seq

    @staticmethod
    def _referenced(
        connection: Connection, rows: Sequence[Any]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """The current rows behind queued references (append-only tables: they never change)."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        by_table: dict[str, list[str]] = {}
        for row in rows:
            by_table.setdefault(row[2], []).append(row[3])
        for table, ids in by_table.items():
            names = tables.columns(table)
            quoted = ", ".join(f'"{n}"' for n in names)
            for start in range(0, len(ids), 400):
                chunk = ids[start : start + 400]
                marks = ", ".join("?" for _ in chunk)
                for values in connection.exec_driver_sql(
                    f"SELECT {quoted} FROM {table} WHERE id IN ({marks})", tuple(chunk)
                ):
                    record = {n: tables.encode(v) for n, v in zip(names, values, strict=True)}
                    found[(table, str(record["id"]))] = record
        return found

    # -- pull -------------------------------------------------------------------------------

    def pull(self) -> PullResult:
        """Pull every page there is, then re-project the incidents they changed, once each."""
        pulled, entities = 0, set[str]()
        while True:
            page = self.pull_page()
            pulled += page.pulled
            entities.update(page.entities)
            if page.pulled < self._pull_batch:
                break
        incidents = self.reproject()
        return PullResult(pulled, incidents, tuple(sorted(entities)))

    def pull_page(self) -> PullResult:
        """Fetch and merge the next page after the cursor, in one local transaction.

        Incidents whose timeline changed are marked in ``sync_dirty`` in the same transaction
        and re-projected by :meth:`reproject`, so a long pull re-projects each incident once
        and a pull killed halfway still re-projects them when it resumes.
        """
        cursor = self.cursor
        rows = self.transport.pull(self.team, cursor, self._pull_batch)
        rows = _continuing(rows, cursor)
        if not rows:
            return PullResult(0, (), ())
        with self.database.transaction() as session:
            connection = session.connection()
            current = int(read_meta(connection, CURSOR_KEY) or 0)
            rows = _continuing(rows, current)  # someone else may have pulled meanwhile
            if not rows:
                return PullResult(0, (), ())
            connection.exec_driver_sql("UPDATE sync_capture SET applying = 1 WHERE id = 1")
            highest = stamps(rows)
            if highest:
                self.hlc.observe(highest)
            merger = Merger(
                connection, self.workstation_id, self.author, self._now(), member=self.member
            )
            merger.apply_all(rows)
            merger.finish()
            if merger.incidents:
                connection.exec_driver_sql(
                    "INSERT OR IGNORE INTO sync_dirty (incident_id) VALUES (?)",
                    [(i,) for i in sorted(merger.incidents)],
                )
            new_cursor = rows[-1].seq
            assert new_cursor > current, "the sync cursor must never go back"
            write_meta(connection, CURSOR_KEY, str(new_cursor))
            stamp = _utc.process_bind_param(self._now(), connection.dialect)
            write_meta(connection, LAST_SYNC_KEY, str(stamp))
            connection.exec_driver_sql("UPDATE sync_capture SET applying = 0 WHERE id = 1")
        return PullResult(
            len(rows), tuple(sorted(merger.incidents)), tuple(sorted(merger.entities))
        )

    def reproject(self, chunk: int = 100) -> tuple[str, ...]:
        """Re-project the incidents pulls marked, ``chunk`` per transaction (so the console's
        own writes never wait long); returns those done. Failures stay marked for next time.
        """
        if self._rebuild is None:
            return ()
        with self.database.read() as session:
            wanted = sorted(
                r[0]
                for r in session.connection().exec_driver_sql("SELECT incident_id FROM sync_dirty")
            )
        done: list[str] = []
        for start in range(0, len(wanted), chunk):
            batch = wanted[start : start + chunk]
            with self.database.transaction() as session:
                connection = session.connection()
                failed = set(self._rebuild(SqlTransaction(session), batch))
                rebuilt = [i for i in batch if i not in failed]
                if rebuilt:
                    connection.exec_driver_sql(
                        "DELETE FROM sync_dirty WHERE incident_id = ?", [(i,) for i in rebuilt]
                    )
            done.extend(rebuilt)
        return tuple(done)


def _continuing(rows: Sequence[RemoteChange], cursor: int) -> list[RemoteChange]:
    """The rows after ``cursor``, if they continue from it without a gap; else refuse them."""
    after = [r for r in rows if r.seq > cursor]
    for offset, row in enumerate(after):
        if row.seq != cursor + 1 + offset:
            raise SyncProtocolError(
                "The sync server's answer skipped changes (a stale or reordered reply); "
                "asking again."
            )
    return after


def last_sync(database: Database) -> datetime | None:
    with database.read() as session:
        value = read_meta(session.connection(), LAST_SYNC_KEY)
    return _utc.process_result_value(value, None) if value else None  # type: ignore[arg-type]
