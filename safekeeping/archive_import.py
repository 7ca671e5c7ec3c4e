"""``import archive``: an export brought into an empty database, all of it or nothing.

The zip is checked before the database is touched: a console archive (its manifest), a
format version this console reads, every member present, none unlisted, each matching the
sha256 and size the manifest gives. Then one write transaction checks that the database
holds no customer and no incident, writes every line (each checked; a problem names its
member, line and field), derives every incident's projection from its events exactly as the
console does, and commits. Any refusal rolls it all back, and a database file this import
created is removed again.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from console.domain.events import EventKind, IncidentEvent
from console.domain.ids import HybridLogicalClock
from console.domain.records import Agent, Attachment, Role
from console.services.agents import needs_passphrase
from console.services.incidents import IncidentService
from console.services.policy import policy_of
from console.services.ports import AgentAccess, AgentChange, Transaction
from console.services.validation import ValidationError
from db.archive import RECORDS, ArchiveTables
from db.engine import open_database
from db.repositories._json import loads
from db.store import SqliteStore, SqlTransaction
from safekeeping.archive import (
    ATTACHMENTS,
    FORMAT,
    FORMAT_VERSION,
    JSONL,
    MANIFEST,
    MEMBERS,
    ArchiveError,
    ArchiveSummary,
    jsonl_lines,
    member_digest,
)
from safekeeping.archive_fields import FIELDS, window_problem

__all__ = ["IMPORT_ACTOR", "import_archive", "read_manifest"]

#: Who the agents' record says brought them in.
IMPORT_ACTOR = "Archive import"
_EVENT_BATCH = 1000


class _Line(Exception):  # noqa: N818 (internal: becomes an ArchiveError with its place)
    pass


def read_manifest(archive: zipfile.ZipFile, name: str) -> dict[str, Any]:
    """The manifest, once the format and every member's checksum are as it says."""
    try:
        raw = archive.read(MANIFEST)
    except KeyError:
        raise ArchiveError(
            f"{name} has no {MANIFEST}: it is not a console archive, or not a finished one."
        ) from None
    try:
        manifest = json.loads(raw)
    except ValueError:
        raise ArchiveError(f"{name}: {MANIFEST} is not JSON.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(f"{name} is not a console archive ({MANIFEST} names no {FORMAT}).")
    version = manifest.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ArchiveError(f"{name}: {MANIFEST} has no valid format_version ({version!r}).")
    if version > FORMAT_VERSION:
        raise ArchiveError(
            f"{name} was made by a newer version of the console (archive format {version}; "
            f"this version reads format {FORMAT_VERSION}). Update the console, then import it."
        )
    members = manifest.get("members")
    if not isinstance(members, dict):
        raise ArchiveError(f"{name}: {MANIFEST} lists no members.")
    present = set(archive.namelist()) - {MANIFEST}
    for member in sorted(present - set(members)):
        raise ArchiveError(f"{name}: the member {member} is not listed in {MANIFEST}.")
    for member in (m + JSONL for m in MEMBERS):
        if member not in members:
            raise ArchiveError(f"{name}: {MANIFEST} does not list the member {member}.")
    for member, entry in sorted(members.items()):
        if member not in present:
            raise ArchiveError(f"{name}: the member {member} is missing.")
        if not isinstance(entry, dict):
            raise ArchiveError(f"{name}: {MANIFEST} says nothing valid about {member}.")
        try:
            with archive.open(member) as stream:
                found = member_digest(stream)
        except (zipfile.BadZipFile, OSError, ValueError) as error:  # a CRC error, a bad header
            raise ArchiveError(f"{name}: the member {member} is damaged ({error}).") from None
        if found != (entry.get("sha256"), entry.get("size")):
            raise ArchiveError(
                f"{name}: the member {member} is damaged (its sha256 or size is not the one "
                f"{MANIFEST} gives)."
            )
    return manifest


class _Within:
    """A Store whose every transaction is the import's own."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def transaction(self) -> AbstractContextManager[Transaction]:
        return nullcontext(self._tx)

    def read(self) -> AbstractContextManager[Transaction]:
        return nullcontext(self._tx)


class _FixedClock:
    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at


@dataclass
class _Seen:
    """Ids read so far, for references and duplicates: member → id → line."""

    ids: dict[str, dict[str, int]] = field(default_factory=dict)
    incident_numbers: dict[str, str] = field(default_factory=dict)
    events_of: dict[str, int] = field(default_factory=dict)
    opened: set[str] = field(default_factory=set)

    def add(self, member: str, ident: str, line: int) -> None:
        held = self.ids.setdefault(member, {})
        if ident in held:
            raise _Line(f"id: {ident} appears twice (also on line {held[ident]})")
        held[ident] = line

    def has(self, member: str, ident: str) -> bool:
        return ident in self.ids.get(member, {})


class _Importer:
    def __init__(
        self,
        archive: zipfile.ZipFile,
        manifest: dict[str, Any],
        tx: SqlTransaction,
        now: datetime,
    ) -> None:
        self._zip = archive
        self._manifest = manifest
        self._tx = tx
        self._tables = ArchiveTables(tx.session)
        self._now = now
        self._seen = _Seen()
        self.counts: dict[str, int] = {}
        self.first_sign_in: list[str] = []

    def _lines(self, member: str) -> Iterator[tuple[int, dict[str, Any]]]:
        """Each line of ``member`` checked against its fields; problems name the place."""
        fields = FIELDS[member]
        name = member + JSONL
        count = 0
        for number, raw in jsonl_lines(self._zip, name):
            try:
                try:
                    record = json.loads(raw)
                except ValueError:
                    raise _Line("not a JSON object") from None
                if not isinstance(record, dict):
                    raise _Line("not a JSON object")
                missing = sorted(set(fields) - set(record))
                unknown = sorted(set(record) - set(fields))
                if missing:
                    raise _Line(f"missing field {', '.join(missing)}")
                if unknown:
                    raise _Line(f"unknown field {', '.join(unknown)}")
                values = {}
                for key, check in fields.items():
                    try:
                        values[key] = check(record[key])
                    except ValueError as error:
                        raise _Line(f"{key}: {error}") from None
                yield number, values
            except _Line as problem:
                raise ArchiveError(f"{name} line {number}: {problem}") from None
            count += 1
        expected = self._manifest["members"][name].get("lines")
        if expected is not None and expected != count:
            raise ArchiveError(f"{name}: {count} lines, but {MANIFEST} says {expected}.")

    def _each(
        self, member: str, work: Callable[[int, dict[str, Any]], None], count_as: str | None
    ) -> None:
        counted = 0
        name = member + JSONL
        for number, values in self._lines(member):
            try:
                work(number, values)
            except _Line as problem:
                raise ArchiveError(f"{name} line {number}: {problem}") from None
            counted += 1
        if count_as:
            self.counts[count_as] = counted

    # -- records ----------------------------------------------------------------------------

    def records(self) -> None:
        self._tables.clear_policy_versions()
        windows_here = self._tables.existing_ids("windows")
        agents_here = {a.name: a.id for a in self._tx.agents.list()}
        versions: dict[int, int] = {}

        def put(member: str) -> Callable[[int, dict[str, Any]], None]:
            def work(number: int, values: dict[str, Any]) -> None:
                self._seen.add(member, values["id"], number)
                self._check(member, values, versions, windows_here, agents_here, number)
                self._tables.put(member, values)

            return work

        for member in RECORDS:
            self._each(member, put(member), member)
        if not versions:
            raise ArchiveError("policy_versions.jsonl: the archive holds no policy version.")

    def _check(
        self,
        member: str,
        values: dict[str, Any],
        versions: dict[int, int],
        windows_here: set[str],
        agents_here: dict[str, str],
        number: int,
    ) -> None:
        if member == "windows":
            problem = window_problem(values)
            if problem:
                raise _Line(problem)
        elif member == "policy_versions":
            if values["version"] in versions:
                raise _Line(
                    f"version: {values['version']} appears twice (also on line "
                    f"{versions[values['version']]})"
                )
            versions[values["version"]] = number
            try:
                policy_of(values["text"])
            except ValueError as error:
                raise _Line(f"text: not a valid policy: {error}") from None
        elif member == "agents":
            other = agents_here.get(values["name"])
            if other is not None and other != values["id"]:
                raise _Line(
                    f"name: this database already has another agent named {values['name']!r}; "
                    "import into a new database"
                )
        elif member == "customers":
            window_id = values["window_id"]
            if not (self._seen.has("windows", window_id) or window_id in windows_here):
                raise _Line(f"window_id: no window {values['window_id']} in the archive")
        elif member == "contacts" and not self._seen.has("customers", values["customer_id"]):
            raise _Line(f"customer_id: no customer {values['customer_id']} in the archive")

    def agents(self) -> None:
        roles = {a.id: a for a in self._tx.agents.list()}

        def access(number: int, values: dict[str, Any]) -> None:
            if not self._seen.has("agents", values["agent_id"]):
                raise _Line(f"agent_id: no agent {values['agent_id']} in agents.jsonl")
            self._seen.add("agent_access", values["agent_id"], number)
            self._tx.agents.set_access(
                AgentAccess(values["agent_id"], passphrase_hash="", active=values["active"]),
                self._now,
            )

        def change(number: int, values: dict[str, Any]) -> None:
            self._tx.agents.record_change(AgentChange(**values))

        self._each("agent_access", access, None)
        self._each("agent_changes", change, "agent_changes")
        for agent_id in self._seen.ids.get("agents", {}):
            agent: Agent | None = roles.get(agent_id)
            if agent is None:  # deleted: nobody signs in as them
                continue
            if not self._seen.has("agent_access", agent_id):
                self._tx.agents.set_access(AgentAccess(agent_id), self._now)
            detail = "imported from an archive"
            if needs_passphrase(agent.role):
                detail += "; the passphrase is chosen again at the first sign-in"
                self.first_sign_in.append(f"{agent.name} ({agent.role.value})")
            self._tx.agents.record_change(
                AgentChange(self._now, "", IMPORT_ACTOR, agent_id, "imported", detail)
            )

    # -- incidents --------------------------------------------------------------------------

    def incidents(self) -> None:
        def listed(number: int, values: dict[str, Any]) -> None:
            self._seen.add("incidents", values["id"], number)
            self._seen.incident_numbers[values["id"]] = values["number"]
            self._seen.events_of[values["id"]] = values["events"]

        self._each("incidents", listed, "incidents")
        batch: list[IncidentEvent] = []
        per_incident: dict[str, int] = {}

        def flush() -> None:
            self._tables.add_events(batch)
            batch.clear()

        def event(number: int, values: dict[str, Any]) -> None:
            incident_id = values["incident_id"]
            if not self._seen.has("incidents", incident_id):
                raise _Line(f"incident_id: no incident {incident_id} in incidents.jsonl")
            try:
                data = loads(json.dumps(values["data"]))
            except (ValueError, TypeError) as error:
                raise _Line(f"data: {error}") from None
            if values["kind"] == EventKind.OPENED.value:
                self._seen.opened.add(incident_id)
            per_incident[incident_id] = per_incident.get(incident_id, 0) + 1
            batch.append(
                IncidentEvent(
                    id=values["id"],
                    incident_id=incident_id,
                    kind=EventKind(values["kind"]),
                    at=values["at"],
                    author=values["author"],
                    origin=values["origin"],
                    hlc=values["hlc"],
                    data=data,
                )
            )
            if len(batch) >= _EVENT_BATCH:
                flush()

        self._each("events", event, "events")
        flush()
        stored = self._tables.counts()["events"]
        if stored != self.counts["events"]:
            raise ArchiveError(
                f"events.jsonl: {self.counts['events']:,} lines but {stored:,} distinct event "
                "ids: an event id appears twice."
            )
        for incident_id, expected in self._seen.events_of.items():
            number = self._seen.incident_numbers[incident_id] or incident_id
            if per_incident.get(incident_id, 0) != expected:
                raise ArchiveError(
                    f"events.jsonl: incident {number} has {per_incident.get(incident_id, 0)} "
                    f"events, but incidents.jsonl says {expected}."
                )
            if incident_id not in self._seen.opened:
                raise ArchiveError(f"events.jsonl: incident {number} has no opened event.")
        self._project()

    def _project(self) -> None:
        """Every projection and search entry, derived as the console derives them."""
        actor = Agent(id="", name=IMPORT_ACTOR, role=Role.AGENT)
        service = IncidentService(
            _Within(self._tx),
            _FixedClock(self._now),
            actor,
            "archive-import",
            HybridLogicalClock("archive-import"),
        )
        for incident_id, listed in self._seen.incident_numbers.items():
            try:
                summary = service.rebuild_projection(incident_id)
            except ValidationError as error:
                reason = "; ".join(error.errors.values())
                raise ArchiveError(
                    f"events.jsonl: incident {listed} cannot be replayed: {reason}"
                ) from None
            except (LookupError, ValueError) as error:
                raise ArchiveError(
                    f"events.jsonl: incident {listed} cannot be replayed: {error}"
                ) from None
            if listed and summary.number != listed:
                raise ArchiveError(
                    f"incidents.jsonl: incident {incident_id} is listed as {listed}, but its "
                    f"events make it {summary.number}."
                )

    def attachments(self) -> None:
        def attachment(number: int, values: dict[str, Any]) -> None:
            if not self._seen.has("incidents", values["incident_id"]):
                raise _Line(f"incident_id: no incident {values['incident_id']}")
            self._seen.add("attachments", values["id"], number)
            member = values["member"]
            if not member.startswith(ATTACHMENTS) or member not in self._manifest["members"]:
                raise _Line(f"member: no member {member} in the archive")
            content = self._zip.read(member)
            if hashlib.sha256(content).hexdigest() != values["sha256"]:
                raise _Line(f"sha256: the bytes in {member} do not match the attachment's sha256")
            if len(content) != values["size"]:
                raise _Line(f"size: {member} holds {len(content)} bytes, not {values['size']}")
            del values["member"]
            self._tx.attachments.add(Attachment(**values), content)

        self._each("attachments", attachment, "attachments")


def _refuse_unless_empty(tx: SqlTransaction, path: Path) -> None:
    counts = ArchiveTables(tx.session).counts()
    if counts["customers"] or counts["incidents"] or counts["events"]:
        incidents = max(counts["incidents"], 1 if counts["events"] else 0)
        raise ArchiveError(
            f"The database {path} already holds {counts['customers']:,} customers and "
            f"{incidents:,} incidents: an archive is imported only into an empty database. "
            "Choose a new file with --db."
        )


def import_archive(source: Path, db_path: Path, *, now: datetime) -> ArchiveSummary:
    """Import the archive ``source`` into the (new or empty) database at ``db_path``.

    Raises :class:`ArchiveError` in words, the database as it was (a file this import
    created is removed); database errors (locked, disk full) propagate as ``StoreError``.
    """
    name = source.name
    try:
        archive = zipfile.ZipFile(source)
    except FileNotFoundError:
        raise ArchiveError(f"There is no file {source}.") from None
    except (zipfile.BadZipFile, OSError) as error:
        raise ArchiveError(
            f"{name} is not a zip archive (damaged, or an unfinished export): {error}"
        ) from None
    with archive:
        manifest = read_manifest(archive, name)
        database = open_database(db_path)
        store = SqliteStore(database)
        created = database.created
        try:
            with store.transaction() as tx:
                _refuse_unless_empty(tx, db_path)
                importer = _Importer(archive, manifest, tx, now)
                importer.records()
                importer.agents()
                importer.incidents()
                importer.attachments()
        except BaseException:
            if created:
                database.abandon()
            else:
                store.close()
            raise
        store.close()
    counts = dict(importer.counts)
    return ArchiveSummary(counts, tuple(importer.first_sign_in))
