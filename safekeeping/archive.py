"""The full export (DESIGN §5, §10): one zip of a documented, versioned format.

``docs/archive-format.md`` is the format's reference; this module writes it and holds what
reading it needs (member names, fields and their checks). An export reads one snapshot of the
database, writes the zip under a temporary name in the target's folder, reads it back and
checks every member against the manifest, and only then renames it to the name asked for: a
kill or a full disk at any point never leaves a file by that name that looks complete (an
earlier export by that name stays as it was).

Passphrase hashes are never exported (an archive is meant to travel): imported leads and
admins choose their passphrase again at their first sign-in.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from db.archive import RECORDS, ArchiveTables
from db.store import SqliteStore, SqlTransaction

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "ArchiveError",
    "ArchiveSummary",
    "export_archive",
    "member_digest",
]

FORMAT = "support-console-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
JSONL = ".jsonl"
ATTACHMENTS = "attachments/"
#: The JSON Lines members, in the order an import reads them.
MEMBERS = (
    *RECORDS,
    "agent_access",
    "agent_changes",
    "incidents",
    "events",
    "attachments",
)
_CHUNK = 1 << 20

Progress = Callable[[str], None]


class ArchiveError(Exception):
    """An export or import that cannot go on, in words for the person who ran it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ArchiveSummary:
    """What an archive holds (or an import brought in): counts by member."""

    counts: dict[str, int]
    first_sign_in: tuple[str, ...] = ()  # leads and admins who choose a passphrase again

    def describe(self) -> str:
        c = self.counts
        return (
            f"{c.get('customers', 0):,} customers, {c.get('contacts', 0):,} contacts, "
            f"{c.get('incidents', 0):,} incidents ({c.get('events', 0):,} events, "
            f"{c.get('attachments', 0):,} attachments), {c.get('agents', 0):,} agents, "
            f"{c.get('policy_versions', 0):,} policy versions"
        )


def app_version() -> str:
    try:
        return metadata.version("support-console")
    except metadata.PackageNotFoundError:
        return "unknown"


def iso(at: datetime | None) -> str | None:
    """An instant as the archive writes it: ISO 8601 in UTC with microseconds."""
    if at is None:
        return None
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def line_bytes(record: dict[str, Any]) -> bytes:
    return (
        json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
    ).encode("utf-8")


def member_digest(stream: IO[bytes]) -> tuple[str, int]:
    """sha256 (hex) and size of what ``stream`` holds."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class _Member:
    """One member being written: its bytes hashed and its lines counted on the way."""

    def __init__(self, archive: zipfile.ZipFile, name: str, writer: _Writer) -> None:
        self.name = name
        self._out = archive.open(name, "w", force_zip64=True)
        self._writer = writer
        writer.current = self
        self._digest = hashlib.sha256()
        self.size = 0
        self.lines = 0

    def write(self, data: bytes) -> None:
        self._out.write(data)
        self._digest.update(data)
        self.size += len(data)

    def line(self, record: dict[str, Any]) -> None:
        self.write(line_bytes(record))
        self.lines += 1

    def abort(self) -> None:
        with suppress(Exception):
            self._out.close()

    def close(self) -> dict[str, Any]:
        self._out.close()
        self._writer.current = None
        entry: dict[str, Any] = {"sha256": self._digest.hexdigest(), "size": self.size}
        if self.name.endswith(JSONL):
            entry["lines"] = self.lines
        return entry


def _record(values: dict[str, Any]) -> dict[str, Any]:
    return {k: iso(v) if isinstance(v, datetime) else v for k, v in values.items()}


class _Writer:
    """Writes every member of one snapshot into an open zip."""

    def __init__(
        self, archive: zipfile.ZipFile, tx: SqlTransaction, progress: Progress | None
    ) -> None:
        self._zip = archive
        self._tx = tx
        self._tables = ArchiveTables(tx.session)
        self._progress = progress
        self.members: dict[str, dict[str, Any]] = {}
        self.counts: dict[str, int] = {}
        self.current: _Member | None = None  # the member being written, if any

    def _done(self, member: _Member, count_as: str | None = None) -> None:
        self.members[member.name] = member.close()
        if count_as is not None:
            self.counts[count_as] = member.lines
        if self._progress is not None:
            self._progress(member.name)

    def records(self) -> None:
        for name in RECORDS:
            member = _Member(self._zip, name + JSONL, self)
            for values in self._tables.rows(name):
                member.line(_record(values))
            self._done(member, name)

    def agents(self) -> None:
        access = _Member(self._zip, "agent_access" + JSONL, self)
        for values in self._tables.rows("agents"):
            # Whether the agent may sign in here; never the passphrase's hash.
            state = self._tx.agents.access(values["id"])
            access.line({"agent_id": values["id"], "active": state.active})
        self._done(access)
        changes = _Member(self._zip, "agent_changes" + JSONL, self)
        for change in self._tx.agents.changes():
            changes.line(
                {
                    "at": iso(change.at),
                    "actor_id": change.actor_id,
                    "actor_name": change.actor_name,
                    "agent_id": change.agent_id,
                    "action": change.action,
                    "detail": change.detail,
                }
            )
        self._done(changes, "agent_changes")

    def incidents(self) -> list[str]:
        events = _Member(self._zip, "events" + JSONL, self)
        per_incident: dict[str, int] = {}
        for event in self._tables.events():
            per_incident[event.incident_id] = per_incident.get(event.incident_id, 0) + 1
            events.line(
                {
                    "id": event.id,
                    "incident_id": event.incident_id,
                    "kind": event.kind,
                    "at": iso(event.at),
                    "author": event.author,
                    "origin": event.origin,
                    "hlc": event.hlc,
                    "data": event.data,
                }
            )
        self._done(events, "events")
        incidents = _Member(self._zip, "incidents" + JSONL, self)
        for incident_id, count in per_incident.items():
            summary = self._tx.incidents.summary(incident_id)
            incidents.line(
                {
                    "id": incident_id,
                    "number": summary.number if summary else "",
                    "customer_id": summary.customer_id if summary else "",
                    "title": summary.title if summary else "",
                    "status": summary.status.value if summary else "",
                    "opened_at": iso(summary.opened_at) if summary else None,
                    "events": count,
                }
            )
        self._done(incidents, "incidents")
        return list(per_incident)

    def attachments(self, incident_ids: list[str]) -> None:
        """Each attachment's bytes as its own member, then the listing (zip writes one member
        at a time, and the listing is small)."""
        listed: list[dict[str, Any]] = []
        for incident_id in incident_ids:
            for attachment in self._tx.attachments.list(incident_id):
                content = self._tx.attachments.content(attachment.id)
                if hashlib.sha256(content).hexdigest() != attachment.sha256:
                    summary = self._tx.incidents.summary(incident_id)
                    number = summary.number if summary else incident_id
                    raise ArchiveError(
                        f"The attachment {attachment.filename!r} of {number} does not match "
                        "its checksum: it was damaged in this database. Nothing was exported."
                    )
                name = f"{ATTACHMENTS}{len(listed) + 1:06d}"
                blob = _Member(self._zip, name, self)
                blob.write(content)
                self.members[name] = blob.close()
                listed.append(
                    {
                        "id": attachment.id,
                        "incident_id": attachment.incident_id,
                        "filename": attachment.filename,
                        "size": attachment.size,
                        "sha256": attachment.sha256,
                        "added_at": iso(attachment.added_at),
                        "author": attachment.author,
                        "member": name,
                    }
                )
        listing = _Member(self._zip, "attachments" + JSONL, self)
        for record in listed:
            listing.line(record)
        self._done(listing, "attachments")


def _temporary(target: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    return Path(name)


def _verify(path: Path, manifest: dict[str, Any]) -> None:
    """Read the written zip back: every member the manifest lists, with its checksum."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist()) - {MANIFEST}
        if names != set(manifest["members"]):
            raise ArchiveError("The archive written does not hold what its manifest lists.")
        for name, entry in manifest["members"].items():
            with archive.open(name) as stream:
                if member_digest(stream) != (entry["sha256"], entry["size"]):
                    raise ArchiveError(f"The archive's member {name} did not read back intact.")
        with archive.open(MANIFEST) as stream:
            if json.loads(stream.read()) != manifest:
                raise ArchiveError("The archive's manifest did not read back intact.")


def _abandon(archive: zipfile.ZipFile, writer: _Writer | None) -> None:
    """Let go of a zip that failed half-way (a full disk fails its closing writes too),
    so the first failure is the one reported."""
    if writer is not None and writer.current is not None:
        writer.current.abort()
    with suppress(Exception):
        archive.close()


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    with suppress(OSError):  # some file systems (and Windows folders) refuse it
        fd = os.open(path, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def export_archive(
    store: SqliteStore,
    target: Path,
    *,
    now: datetime,
    progress: Progress | None = None,
) -> ArchiveSummary:
    """Write everything in ``store`` to the zip ``target`` (replacing it only when done).

    ``progress`` hears each member's name once it is written. Raises :class:`ArchiveError`
    in words; OS errors (a full disk, a folder that cannot be written) propagate for the
    caller to word.
    """
    target = target.expanduser().absolute()
    if not target.parent.is_dir():
        raise ArchiveError(f"The folder {target.parent} does not exist.")
    partial = _temporary(target)
    archive = zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED)
    writer: _Writer | None = None
    try:
        with store.read() as tx:
            writer = _Writer(archive, tx, progress)
            writer.records()
            writer.agents()
            incident_ids = writer.incidents()
            writer.attachments(incident_ids)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "app_version": app_version(),
                "schema_revision": ArchiveTables(tx.session).schema_revision(),
                "created_at": iso(now),
                "counts": writer.counts,
                "members": writer.members,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        archive.close()
        _verify(partial, manifest)
        _fsync(partial)
        os.replace(partial, target)
        _fsync(target.parent)
    except BaseException:
        _abandon(archive, writer)
        partial.unlink(missing_ok=True)
        raise
    assert writer is not None
    return ArchiveSummary(dict(writer.counts))


def jsonl_lines(archive: zipfile.ZipFile, member: str) -> Iterator[tuple[int, bytes]]:
    """The numbered lines of a JSON Lines member (1-based, without their newline)."""
    with archive.open(member) as stream:
        for number, raw in enumerate(stream, start=1):
            yield number, raw.rstrip(b"\n")
