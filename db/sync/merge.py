"""Merging pulled changes into the local database, inside the pull's transaction.

Records merge field by field: a pulled value replaces the local one only if its clock is
higher (stamps end with the workstation id, which breaks ties), so every replica ends up
with each field's highest-clock write whatever order changes arrive in, however often.
Every change says which clock each of its fields replaced where it was written (its
"base"); a winner whose base is older than the value it beats did not see that value:
that is a conflict, recorded with both values and both writers (the self-declared author
and the server login that pushed it). Events, policy versions and attachments are grow-only
sets; a policy version is never deleted (clashing numbers are renumbered, see
:meth:`Merger._apply_policy`). Triggers are off meanwhile (``sync_capture.applying``).

A member is not trusted: each change is checked (:func:`refusal`) and merged inside its own
savepoint; one that cannot be merged, or that an agent wrote to a lead-only kind of record,
is set aside in ``sync_quarantine`` with its reason in words, and the pull goes on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from console.domain.ids import HlcStamp
from db.models import UtcDateTime
from db.sync import tables
from db.sync.tables import clock_key, origin
from db.sync.transport import RemoteChange

log = logging.getLogger(__name__)

_utc = UtcDateTime()
_CHUNK = 400  # ids per IN (…) list
#: The longest text a field may hold (attachments' content aside), and the most of a set-aside
#: change kept in the quarantine.
MAX_VALUE_CHARS = 2_000_000
_KEPT_CHARS = 1_000_000
#: Kinds of rows that may carry no clock: rows written before their pushes were stamped.
_UNSTAMPED = ("policy_versions", "attachments")
#: Columns an incident event must bring, as text.
_EVENT_TEXT = ("incident_id", "kind", "at")


class Unmergeable(Exception):  # noqa: N818 (it is a verdict, not a failure of ours)
    """A pulled change that cannot be merged here; the message says why, in words."""


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "nothing (null)"
    return "a number" if isinstance(value, (int, float)) else type(value).__name__


def _is_value(value: Any) -> bool:
    """A value a column can hold as it travels: a JSON scalar, or bytes as {"$b64": text}."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("$b64"), str)


def _shown(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def refusal(change: RemoteChange) -> str | None:
    """Why ``change`` cannot be merged here, in words (None: it can be tried)."""
    entity = change.entity
    if entity not in tables.ENTITY_ORDER:
        return f"it is a kind of record this console does not know ({_shown(entity)})"
    what = tables.PLURALS[entity]
    if not isinstance(change.row_id, str) or not 1 <= len(change.row_id) <= 64:
        return f"its record id {_shown(change.row_id)} is not 1 to 64 characters of text"
    fields, bases = change.fields, change.bases
    if not isinstance(fields, dict):
        return f"its fields are {_json_kind(fields)}, not an object of named values"
    if bases is not None and not isinstance(bases, dict):
        return f"its base clocks are {_json_kind(bases)}, not an object of named clocks"
    hlc = change.hlc
    if not isinstance(hlc, str) or not (
        tables.HLC_PATTERN.match(hlc) or (hlc == "" and entity in _UNSTAMPED)
    ):
        return f"its clock stamp {_shown(hlc)} is malformed"
    for name, value in fields.items():
        if not _is_value(value):
            return f"its field {_shown(name)} holds {_json_kind(value)}, which no field here holds"
        if isinstance(value, str) and len(value) > MAX_VALUE_CHARS and entity != "attachments":
            return (
                f"its field {_shown(name)} holds {len(value):,} characters, more than "
                f"{MAX_VALUE_CHARS:,} (the most any of {what} may hold)"
            )
    for name, value in (bases or {}).items():
        if value is not None and not isinstance(value, str):
            return f"its base clock for {_shown(name)} is {_json_kind(value)}, not a stamp"
    if change.member_role == "agent" and entity in tables.LEAD_ONLY:
        who = change.member or change.author or "its author"
        return f"only a team lead or admin may change {what}; {who} is an agent"
    if entity in tables.APPEND_ONLY_TABLES and fields.get("id") != change.row_id:
        return f"its id field {_shown(fields.get('id'))} is not the record it is filed under"
    if entity == "incident_events":
        return _event_refusal(fields)
    if entity == "policy_versions":
        version = fields.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            return f"its version number {_shown(version)} is not a whole number from 1"
        if not isinstance(fields.get("text"), str):
            return "it holds no policy text"
    return None


def _event_refusal(fields: dict[str, Any]) -> str | None:
    for name in _EVENT_TEXT:
        if not isinstance(fields.get(name), str) or not fields[name]:
            return f"the event has no {name.replace('_', ' ')}"
    data = fields.get("data")
    try:
        parsed = json.loads(data) if isinstance(data, str) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        return "the event's data is not an object of named values"
    return None


def _words(exc: BaseException) -> str:
    """An exception as one short line of words (never a traceback)."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip().splitlines()[0] if str(inner).strip() else type(inner).__name__
    return text[:200]


@dataclass(slots=True)
class _Clock:
    hlc: str
    base: str


def _json(value: Any) -> str:
    return json.dumps(tables.encode(value), ensure_ascii=False, sort_keys=True)


class Merger:
    """Applies one pull's changes on ``connection``; collects what it touched."""

    def __init__(
        self,
        connection: Connection,
        workstation_id: str,
        author: str,
        now: datetime,
        *,
        member: str = "",
    ) -> None:
        self._c = connection
        self._workstation = workstation_id
        self._author = author
        self._member = member  # this workstation's login on the server, when known
        self._noticed = _utc.process_bind_param(now.astimezone(UTC), connection.dialect)
        self._events: list[RemoteChange] = []
        self.incidents: set[str] = set()
        self.entities: set[str] = set()
        self.quarantined = 0

    def _sql(self, statement: str, params: Any = ()) -> Any:
        return self._c.exec_driver_sql(statement, params)

    # -- dispatch ---------------------------------------------------------------------------

    def apply(self, change: RemoteChange) -> None:
        """Merge one change inside a savepoint; one that cannot be merged is set aside in
        ``sync_quarantine`` with its reason, and the rest of the pull goes on."""
        self.apply_all([change])

    def apply_all(self, changes: Sequence[RemoteChange]) -> None:
        """Merge a page of changes: all in one savepoint when every one goes in (the usual
        case, and as quick as merging without one), else again one savepoint each, so only
        the changes that cannot be merged are set aside."""
        checked: list[RemoteChange] = []
        for change in changes:
            reason = refusal(change)
            if reason is not None:
                self.quarantine(change, reason)
            else:
                checked.append(change if change.bases is not None else replace(change, bases={}))
        if not checked:
            return
        collected = len(self._events)
        try:
            with self._c.begin_nested():
                for change in checked:
                    self._dispatch(change)
            return
        except Exception:  # some change will not go in: find which, one at a time
            del self._events[collected:]
        for change in checked:
            reason = self._attempt(change, self._dispatch)
            if reason is not None:
                self.quarantine(change, reason)

    def _attempt(self, change: RemoteChange, merge: Any) -> str | None:
        try:
            with self._c.begin_nested():
                merge(change)
        except Unmergeable as exc:
            return str(exc)
        except Exception as exc:  # any failure of one change must not stop the team's sync
            log.warning("sync change %s (%s) not merged", change.seq, change.entity, exc_info=True)
            return f"it could not be applied here: {_words(exc)}"
        return None

    def _dispatch(self, change: RemoteChange) -> None:
        if change.entity in tables.RECORD_TABLES:
            self._apply_record(change)
        elif change.entity == "incident_events":
            self._events.append(change)
        elif change.entity == "policy_versions":
            self._apply_policy(change)
        elif change.entity == "attachments":
            self._insert_if_new(change)

    def finish(self) -> None:
        """Insert the collected events, then retry changes stashed by earlier pulls."""
        events, self._events = self._events, []
        try:
            with self._c.begin_nested():
                self._insert_events(events)
        except Exception:  # one of them will not go in: find which, one at a time
            for change in events:
                reason = self._attempt(change, lambda c: self._insert_events([c]))
                if reason is not None:
                    self.quarantine(change, reason)
        self._retry_stash()

    # -- the quarantine ---------------------------------------------------------------------

    def quarantine(self, change: RemoteChange, reason: str) -> None:
        """Set ``change`` aside with ``reason`` (in words); it is never merged."""
        raw = json.dumps(
            {
                "seq": change.seq,
                "workstation": change.workstation,
                "author": change.author,
                "member": change.member,
                "member_role": change.member_role,
                "entity": change.entity,
                "row": change.row_id,
                "hlc": change.hlc,
                "fields": change.fields,
                "bases": change.bases,
            },
            ensure_ascii=False,
            default=str,
        )
        if len(raw) > _KEPT_CHARS:
            raw = json.dumps({"characters": len(raw), "start": raw[:_KEPT_CHARS]})
        log.warning("sync change %s set aside: %s", change.seq, reason)
        self._sql(
            "INSERT OR IGNORE INTO sync_quarantine (seq, change_id, entity, row_id, member,"
            " reason, change, noticed_at) VALUES (?, '', ?, ?, ?, ?, ?, ?)",
            (
                change.seq,
                str(change.entity)[:64],
                str(change.row_id)[:64],
                str(change.member or "")[:64],
                reason,
                raw,
                self._noticed,
            ),
        )
        self.quarantined += 1

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

    def _writer(self, stamp: str) -> tuple[str, str]:
        """Who wrote a value held here (author, server login), where this database knows."""
        if origin(stamp) == self._workstation:
            return self._author, self._member
        return "", ""

    @staticmethod
    def _pusher(change: RemoteChange) -> tuple[str, str]:
        return change.author, change.member

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
                        lost=(row[name], current.hlc, *self._writer(current.hlc)),
                        won=(value, change.hlc, *self._pusher(change)),
                    )  # fmt: skip
            elif (
                incoming < clock_key(current.hlc)
                and row[name] != value
                and self._concurrent(current.base, change.hlc, current.hlc)
            ):
                self._conflict(
                    table, change.row_id, name,
                    lost=(value, change.hlc, *self._pusher(change)),
                    won=(row[name], current.hlc, *self._writer(current.hlc)),
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
        lost: tuple[Any, str, str, str],
        won: tuple[Any, str, str, str],
    ) -> None:
        """Record that ``won`` overwrote ``lost``: each is (value, clock, author, login)."""
        seen = self._sql(
            "SELECT 1 FROM sync_conflicts WHERE entity = ? AND row_id = ? AND field = ?"
            " AND lost_hlc = ? AND won_hlc = ? AND lost_value = ?",
            (table, row_id, name, lost[1], won[1], _json(lost[0])),
        ).fetchone()
        if seen is not None:  # the same two writes, met again (a change pulled twice)
            return
        self._sql(
            "INSERT INTO sync_conflicts (entity, row_id, field, lost_value, lost_hlc,"
            " lost_author, lost_member, won_value, won_hlc, won_author, won_member, noticed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                table,
                row_id,
                name,
                _json(lost[0]),
                lost[1],
                lost[2],
                lost[3],
                _json(won[0]),
                won[1],
                won[2],
                won[3],
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
            "member": change.member,
            "member_role": change.member_role,
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
            member=str(data.get("member") or ""),
            member_role=data.get("member_role"),
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
            reason = self._attempt(change, self._apply_record)
            if reason is not None:
                self._sql("DELETE FROM sync_stash WHERE seq = ?", (change.seq,))
                self.quarantine(change, reason)

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
        """Policy versions are never deleted, and the server's numbering is authoritative.

        A pulled version takes the number the server's log gives it. A version saved here and
        not yet confirmed that holds that number moves to the next free one (with a note in
        the conflict list); incidents opened under it keep their policy, which they name by
        id. Versions the log has delivered are "confirmed" (a ``sync_field_clocks`` row with
        field ``version``). Two confirmed versions sharing a number happen only in a log from
        before server v2; the later one then gets the highest confirmed number + 1, as the
        server itself numbers a clash today, so every replica numbers them alike.
        """
        row_id, fields = change.row_id, change.fields
        confirmed = self._confirmed_policies()
        same = self._sql(
            "SELECT version, created_at, author, text FROM policy_versions WHERE id = ?",
            (row_id,),
        ).fetchone()
        if same is not None and row_id in confirmed:
            self._keep_earliest_copy(change, same[1:])
            return
        number = int(fields["version"])
        if any(n == number and i != row_id for i, n in confirmed.items()):
            number = max([number, *confirmed.values()]) + 1
        holder = self._sql(
            "SELECT id, author FROM policy_versions WHERE version = ? AND id != ?",
            (number, row_id),
        ).fetchone()
        if holder is not None:  # saved here, not yet confirmed: it moves up
            top = self._sql("SELECT max(version) FROM policy_versions").scalar() or 0
            moved = max(int(top), number) + 1
            self._renumber(holder[0], moved)
            here = HlcStamp(0, 0, self._workstation).encode()
            self._conflict(
                "policy_versions", holder[0], "version",
                lost=(f"number {number}", here, str(holder[1] or ""), self._member),
                won=(
                    f"number {moved}: the server gave number {number} to the version saved "
                    f"by {fields.get('author') or 'someone'}",
                    change.hlc, *self._pusher(change),
                ),
            )  # fmt: skip
        if same is None:
            self._insert_if_new(replace(change, fields={**fields, "version": number}))
        elif int(same[0]) != number:
            self._renumber(row_id, number)
            self._keep_earliest_copy(change, same[1:])
        else:
            self._keep_earliest_copy(change, same[1:])
        self._sql(
            "INSERT OR REPLACE INTO sync_field_clocks (entity, row_id, field, hlc, base)"
            " VALUES ('policy_versions', ?, 'version', ?, '')",
            (row_id, change.hlc),
        )
        self.entities.add("policy_versions")

    def _confirmed_policies(self) -> dict[str, int]:
        rows = self._sql(
            "SELECT p.id, p.version FROM policy_versions p JOIN sync_field_clocks c"
            " ON c.entity = 'policy_versions' AND c.row_id = p.id AND c.field = 'version'"
        )
        return {str(i): int(n) for i, n in rows}

    def _keep_earliest_copy(self, change: RemoteChange, held: Sequence[Any]) -> None:
        """Version 1 is seeded with one id everywhere, stamped with each one's own time: the
        earliest copy is kept everywhere."""
        copy = tuple(str(change.fields.get(k) or "") for k in ("created_at", "author", "text"))
        if copy < tuple(str(v or "") for v in held):
            self._sql(
                "UPDATE policy_versions SET created_at = ?, author = ?, text = ? WHERE id = ?",
                (*copy, change.row_id),
            )

    def _renumber(self, policy_id: str, number: int) -> None:
        """Give a version another number; incidents opened under it are re-projected (their
        clocks follow the version's id, so only the number they show changes)."""
        self._sql("UPDATE policy_versions SET version = ? WHERE id = ?", (number, policy_id))
        self.incidents.update(
            str(r[0])
            for r in self._sql(
                "SELECT incident_id FROM incident_events WHERE kind = 'opened'"
                " AND json_valid(data) AND json_extract(data, '$.policy_version_id') = ?",
                (policy_id,),
            )
        )
        self.entities.add("policy_versions")

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
        members = [(c.row_id, c.member[:64]) for c in fresh if c.member]
        if members:  # who really pushed each event, for the timeline (migration 0006)
            self._sql(
                "INSERT OR IGNORE INTO sync_event_members (event_id, member) VALUES (?, ?)",
                members,
            )
        self._remember_message_ids([c.row_id for c in fresh])
        self.incidents.update(str(c.fields.get("incident_id")) for c in fresh)
        self.entities.add("incident_events")

    def _remember_message_ids(self, event_ids: Sequence[str]) -> None:
        """Record the Message-IDs pulled mail events carry (DESIGN §11), so a customer's reply
        threads on every workstation, not only on the one that read the original. The first
        record of an id stays; an id that is not short text is left out."""
        for start in range(0, len(event_ids), _CHUNK):
            chunk = tuple(event_ids[start : start + _CHUNK])
            marks = ", ".join("?" for _ in chunk)
            self._sql(
                "INSERT OR IGNORE INTO mail_message_ids"
                " (message_id, incident_id, direction, recorded_at)"
                " SELECT mid, incident_id, direction, at FROM ("
                "  SELECT COALESCE(json_extract(data, '$.mail.message_id'),"
                "   json_extract(data, '$.message_id')) AS mid, incident_id, at,"
                "   CASE WHEN kind IN ('opened', 'customer_message') THEN 'in' ELSE 'out' END"
                "   AS direction"
                f"  FROM incident_events WHERE id IN ({marks}) AND json_valid(data)"
                "   AND kind IN ('opened', 'customer_message', 'responded', 'status_update'))"
                " WHERE typeof(mid) = 'text' AND length(mid) BETWEEN 1 AND 998",
                chunk,
            )


def stamps(changes: Iterable[RemoteChange]) -> str:
    """The highest well-formed clock among changes ('' if none carries one)."""
    return max(
        (c.hlc for c in changes if isinstance(c.hlc, str) and tables.HLC_PATTERN.match(c.hlc)),
        key=clock_key,
        default="",
    )
