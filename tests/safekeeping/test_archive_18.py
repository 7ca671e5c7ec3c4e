"""Export everything, import it into an empty database (issue 18, items 4 and 5).

The demo database is exported and imported into a new file: the records, every incident's
projection, its clocks at fixed instants, search and the attainment report are the same.
Random incident histories do the same round trip. Damaged, newer and malformed archives and
non-empty databases are refused in words, leaving the database as it was; a SIGKILL during
an export never leaves a zip by the name asked for.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.ids import HybridLogicalClock
from console.domain.records import Role
from console.services.agents import AgentService
from console.services.clock_reader import ClockReader
from console.services.customers import CustomerService
from console.services.demo import build_demo
from console.services.ports import IncidentFilter, Store
from console.services.reports import attainment_report
from console.services.seed import seed_defaults
from console.services.templates import TemplateService
from console.services.validation import ValidationError
from db.store import SqliteStore
from safekeeping.archive import MANIFEST, export_archive
from safekeeping.archive_import import import_archive
from safekeeping.cli import safekeeping_command
from tests.services.conftest import FakeClock, make_store
from tests.services.histories import Life, Template, build_template, lives, starts, world_from

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # the demo's "now" (a Thursday)
LATER = datetime(2027, 2, 1, 9, 30, tzinfo=UTC)
PASSPHRASE = "correct horse battery"


@dataclass
class RoundTrip:
    original: SqliteStore
    imported: SqliteStore
    archive: Path
    folder: Path
    deleted_contact: str
    deactivated: str


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoundTrip]:
    folder = tmp_path_factory.mktemp("archive-demo")
    original = make_store(folder / "demo.sqlite3")
    build_demo(original, now=NOW)
    clock = FakeClock(NOW)
    hlc = HybridLogicalClock("ws-archive", lambda: int(clock.now().timestamp() * 1000))
    with original.read() as tx:
        agents = tx.agents.list()
        customer = tx.customers.list()[0]
    admin = next(a for a in agents if a.role is Role.ADMIN)
    AgentService(original, hlc, admin, clock).sign_in(admin.id, PASSPHRASE)  # sets it
    deactivated = next(a for a in agents if a.role is Role.AGENT)
    AgentService(original, hlc, admin, clock).deactivate(deactivated.id)
    removed = customer.contacts[-1].id
    CustomerService(original, clock, admin, hlc).delete_contact(removed)
    TemplateService(original, clock, admin, hlc).save(
        "first_response", "", "Dear {{ contact_name }}, we are on {{ incident_number }}."
    )

    archive = folder / "team.zip"
    export_archive(original, archive, now=NOW)
    import_archive(archive, folder / "imported.sqlite3", now=NOW)
    imported = make_store(folder / "imported.sqlite3")
    yield RoundTrip(original, imported, archive, folder, removed, deactivated.id)
    original.close()
    imported.close()


def records(store: Store) -> dict[str, Any]:
    """Everything but incidents, as the services read it."""
    with store.read() as tx:
        agents = tx.agents.list()
        return {
            "customers": tx.customers.list(),
            "windows": tx.windows.list(),
            "policies": tx.policies.list(),
            "agents": agents,
            "active": {a.id: tx.agents.access(a.id).active for a in agents},
            "escalation": tx.escalation_contacts.list(),
            "views": tx.saved_views.list(),
            "templates": tx.templates.list(),
        }


def incidents(store: Store, *instants: datetime) -> dict[str, Any]:
    """Every incident's projection, clocks at each instant, events and attachments."""
    found: dict[str, Any] = {}
    with store.read() as tx:
        reader = ClockReader(tx)
        for incident_id in tx.incidents.all_ids():
            summary = tx.incidents.summary(incident_id)
            assert summary is not None
            found[incident_id] = (
                summary,
                [reader.clocks(summary, at) for at in instants],
                tx.incidents.events(incident_id),
                [(a, tx.attachments.content(a.id)) for a in tx.attachments.list(incident_id)],
            )
    return found


def attainment(store: Store, now: datetime) -> Any:
    with store.read() as tx:
        return attainment_report(tx, IncidentFilter(), now).groups


def content(path: Path) -> Any:
    """What a database holds, for "left as it was"."""
    store = make_store(path)
    try:
        return records(store), incidents(store)
    finally:
        store.close()


def rewrite(source: Path, target: Path, change: Callable[[str, bytes], bytes | None]) -> None:
    """A copy of the zip with members changed (``None`` drops one); the manifest is left
    as it was unless ``change`` rewrites it too."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            data = change(name, old.read(name))
            if data is not None:
                new.writestr(name, data)


def resealed(source: Path, target: Path, change: Callable[[str, bytes], bytes]) -> None:
    """A copy with members changed and the manifest's checksums made to match again: a
    malformed archive that is not a damaged one."""
    with zipfile.ZipFile(source) as old:
        manifest = json.loads(old.read(MANIFEST))
        members = {n: change(n, old.read(n)) for n in old.namelist() if n != MANIFEST}
    for name, data in members.items():
        entry = manifest["members"][name]
        entry["sha256"], entry["size"] = hashlib.sha256(data).hexdigest(), len(data)
        if "lines" in entry:
            entry["lines"] = data.count(b"\n")
    with zipfile.ZipFile(target, "w") as new:
        for name, data in members.items():
            new.writestr(name, data)
        new.writestr(MANIFEST, json.dumps(manifest))


def copy(source: Path, target: Path) -> None:
    """A consistent copy of a database another connection has open (its WAL included)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()


def cli(*argv: str, default: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = safekeeping_command(list(argv), lambda: default)
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


# -- the demo database -----------------------------------------------------------------------


def test_the_demo_imports_with_the_same_records(demo: RoundTrip) -> None:
    before, after = records(demo.original), records(demo.imported)
    assert after == before
    assert len(after["customers"]) == 12 and len(after["agents"]) == 7
    assert [t.key for t in after["templates"]] == ["first_response"]  # the team's own text
    assert after["active"][demo.deactivated] is False
    # a contact removed from its list is still known to the incidents that name it
    with demo.imported.read() as tx:
        gone = tx.customers.contact(demo.deleted_contact, include_deleted=True)
        assert gone is not None and tx.customers.contact(demo.deleted_contact) is None


def test_the_demo_imports_with_the_same_projections_clocks_and_attainment(
    demo: RoundTrip,
) -> None:
    before = incidents(demo.original, NOW, NOW + timedelta(hours=3), LATER)
    after = incidents(demo.imported, NOW, NOW + timedelta(hours=3), LATER)
    assert len(after) == 300
    assert after == before
    assert sum(len(files) for *_, files in after.values()) > 0
    for now in (NOW, LATER):
        groups = attainment(demo.imported, now)
        assert groups == attainment(demo.original, now)
        assert sum(g.met for g in groups) and sum(g.missed for g in groups)
    # the search index is derived again: the same words find the same incidents
    with demo.original.read() as tx:
        title = tx.incidents.find(IncidentFilter(), limit=1)[0].title
    word = max(title.split(), key=len)
    with demo.original.read() as a, demo.imported.read() as b:
        found = [
            {s.id for s in tx.incidents.find(IncidentFilter(text=word), limit=1000)}
            for tx in (a, b)
        ]
    assert found[0] and found[0] == found[1]


def test_passphrases_never_travel_and_are_chosen_again(demo: RoundTrip) -> None:
    with zipfile.ZipFile(demo.archive) as archive:
        for name in archive.namelist():
            assert b"scrypt$" not in archive.read(name), name
    with demo.imported.read() as tx:
        admin = next(a for a in tx.agents.list() if a.role is Role.ADMIN)
        assert tx.agents.access(admin.id).passphrase_hash == ""
    clock = FakeClock(NOW)
    agents = AgentService(demo.imported, HybridLogicalClock("ws-x"), admin, clock)
    with pytest.raises(ValidationError, match="at least 8"):
        agents.sign_in(admin.id, "short")
    assert agents.sign_in(admin.id, "a new passphrase") == admin  # chosen at first sign-in
    with pytest.raises(ValidationError, match=r"not .* passphrase"):
        agents.sign_in(admin.id, PASSPHRASE)
    assert any(c.action == "imported" for c in agents.changes(admin.id))


def test_the_manifest_names_the_format_and_checks_every_member(demo: RoundTrip) -> None:
    with zipfile.ZipFile(demo.archive) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        assert manifest["format"] == "support-console-archive"
        assert manifest["format_version"] == 1
        assert manifest["schema_revision"] and manifest["app_version"]
        assert manifest["created_at"] == NOW.isoformat(timespec="microseconds")
        assert manifest["counts"]["incidents"] == 300
        assert set(manifest["members"]) == set(archive.namelist()) - {MANIFEST}
        for name, entry in manifest["members"].items():
            data = archive.read(name)
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        policy = json.loads(archive.read("policy_versions.jsonl").splitlines()[0])
        assert "[plans" in policy["text"] or "plans" in policy["text"]
        contact = json.loads(archive.read("contacts.jsonl").splitlines()[0])
        assert contact["rank"] and isinstance(contact["emails"], list)


# -- random histories ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return build_template(tmp_path_factory.mktemp("archive-lives"))


_trips = iter(range(10**6))


@settings(max_examples=25)
@given(life_list=st.lists(lives, min_size=1, max_size=4), start=starts)
def test_random_histories_come_back_the_same(
    template: Template, life_list: list[Life], start: datetime
) -> None:
    with world_from(template, start, life_list) as world:
        n = next(_trips)
        archive = template.path.with_name(f"trip-{n}.zip")
        target = template.path.with_name(f"trip-{n}.sqlite3")
        export_archive(world.store, archive, now=world.ended_at)
        import_archive(archive, target, now=world.ended_at)
        imported = make_store(target)
        try:
            at = [world.ended_at, world.ended_at + timedelta(days=3)]
            assert incidents(imported, *at) == incidents(world.store, *at)
            assert attainment(imported, at[1]) == attainment(world.store, at[1])
        finally:
            imported.close()
            archive.unlink()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)


# -- refusals --------------------------------------------------------------------------------


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    """A database the console has opened once (seeded), with no customers or incidents."""
    path = tmp_path / "empty.sqlite3"
    store = make_store(path)
    clock = FakeClock(NOW)
    seed_defaults(store, clock, HybridLogicalClock("ws-e"))
    store.close()
    return path


def refused(archive: Path, target: Path, *words: str) -> str:
    code, out, err = cli("import", "archive", str(archive), "--db", str(target), default=target)
    assert code == 1, (out, err)
    assert out == ""
    assert err.startswith("Nothing was imported: ")
    for word in words:
        assert word in err
    return err


def test_a_damaged_member_is_refused_and_nothing_is_written(
    demo: RoundTrip, tmp_path: Path, empty_db: Path
) -> None:
    damaged = tmp_path / "damaged.zip"
    rewrite(
        demo.archive,
        damaged,
        lambda n, d: d.replace(b"Northwind", b"Northwand") if n == "customers.jsonl" else d,
    )
    before = content(empty_db)
    refused(damaged, empty_db, "customers.jsonl", "damaged")
    assert content(empty_db) == before
    new = tmp_path / "new.sqlite3"
    refused(damaged, new, "customers.jsonl is damaged")
    assert not new.exists()  # no new database left behind


def test_a_damaged_attachment_and_a_missing_member_are_refused(
    demo: RoundTrip, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.zip"
    rewrite(demo.archive, broken, lambda n, d: b"x" + d if n == "attachments/000003" else d)
    refused(broken, tmp_path / "a.sqlite3", "attachments/000003 is damaged")
    missing = tmp_path / "missing.zip"
    rewrite(demo.archive, missing, lambda n, d: None if n == "events.jsonl" else d)
    refused(missing, tmp_path / "b.sqlite3", "events.jsonl is missing")
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(demo.archive.read_bytes()[:5000])
    refused(truncated, tmp_path / "c.sqlite3", "not a zip archive")
    assert not list(tmp_path.glob("*.sqlite3*"))


def test_a_newer_format_is_refused(demo: RoundTrip, tmp_path: Path, empty_db: Path) -> None:
    def newer(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["format_version"] = 2
        return json.dumps(manifest).encode()

    archive = tmp_path / "newer.zip"
    rewrite(demo.archive, archive, newer)
    before = content(empty_db)
    err = refused(archive, empty_db, "newer version of the console", "format 2")
    assert "Update the console" in err
    assert content(empty_db) == before


def test_a_database_with_customers_or_incidents_is_refused(demo: RoundTrip, tmp_path: Path) -> None:
    target = tmp_path / "busy.sqlite3"
    copy(demo.folder / "imported.sqlite3", target)
    before = content(target)
    refused(demo.archive, target, "already holds 12 customers and 300 incidents", "--db")
    assert content(target) == before


@pytest.mark.parametrize(
    ("member", "change", "words"),
    [
        ("events.jsonl", (b'"kind":"note"', b'"kind":"gossip"'), "kind: 'gossip' is not an"),
        ("contacts.jsonl", (b'"customer_id":"', b'"customer_id":"x'), "customer_id: no customer"),
        ("customers.jsonl", (b'"plan":', b'"tier":'), "missing field plan"),
        ("attachments.jsonl", (b'"size":', b'"size":1'), "size: attachments/"),
        ("windows.jsonl", (b'"zone":"', b'"zone":"Mars/'), "hours/zone"),
        ("events.jsonl", (b'"at":"2026', b'"at":"x2026'), "at: expected an ISO 8601 instant"),
    ],
)
def test_a_malformed_line_is_named_and_nothing_is_imported(
    demo: RoundTrip,
    tmp_path: Path,
    empty_db: Path,
    member: str,
    change: tuple[bytes, bytes],
    words: str,
) -> None:
    archive = tmp_path / "malformed.zip"
    resealed(demo.archive, archive, lambda n, d: d.replace(*change, 1) if n == member else d)
    before = content(empty_db)
    err = refused(archive, empty_db, f"{member} line ", words)
    assert "Traceback" not in err
    assert content(empty_db) == before  # earlier members were rolled back too


# -- a kill during an export -----------------------------------------------------------------


@contextmanager
def _export_child(db: Path, target: Path) -> Iterator[subprocess.Popen[str]]:
    """The export in a child process; a watchdog kills a child that hangs (a safety net
    against a broken export stalling the suite, never part of what is tested)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.safekeeping.export_child", str(db), str(target)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    watchdog = threading.Timer(120, child.kill)
    watchdog.start()
    try:
        with child:
            yield child
    finally:
        watchdog.cancel()
        child.kill()


def _looks_complete(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return MANIFEST in archive.namelist()


@pytest.mark.slow
def test_a_kill_during_an_export_leaves_no_complete_looking_zip(
    demo: RoundTrip, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    copy(demo.folder / "demo.sqlite3", db)
    target = tmp_path / "out" / "team.zip"
    target.parent.mkdir()
    # the members an export writes, in order; kill after the first, one in the middle and
    # the last (with only the manifest and the check to go)
    for stop in (1, 6, 12):
        with _export_child(db, target) as child:
            assert child.stdin is not None and child.stdout is not None
            for step in range(1, stop + 1):
                assert child.stdout.readline().startswith("wrote ")
                if step < stop:  # let it write the next member
                    child.stdin.write("\n")
                    child.stdin.flush()
            child.send_signal(signal.SIGKILL)
            child.wait()
        assert not target.exists()
        assert not [p for p in target.parent.iterdir() if _looks_complete(p)]
    # an export that runs to the end appears under its name, complete
    with _export_child(db, target) as child:
        out, err = child.communicate("\n" * 100)
    assert child.returncode == 0, err
    assert out.strip().endswith("exit 0")
    assert _looks_complete(target)
    # a kill while writing over it leaves the earlier export as it was
    earlier = target.read_bytes()
    with _export_child(db, target) as child:
        assert child.stdout is not None
        assert child.stdout.readline().startswith("wrote ")
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert target.read_bytes() == earlier
    fresh = tmp_path / "again.sqlite3"
    code, out, err = cli("import", "archive", str(target), "--db", str(fresh), default=fresh)
    assert code == 0 and "300 incidents" in out, err


# -- the commands ----------------------------------------------------------------------------


def test_export_and_import_commands_say_what_they_did(demo: RoundTrip, tmp_path: Path) -> None:
    zipped = tmp_path / "team.zip"
    db = str(demo.folder / "demo.sqlite3")
    code, out, err = cli("export", "--db", db, "--to", str(zipped), default=Path(db))
    assert (code, err) == (0, "")
    assert out == (
        "exported 12 customers, 51 contacts, 300 incidents (1,423 events, 64 attachments), "
        f"7 agents, 1 policy versions to {zipped}\n"
    )
    target = tmp_path / "new" / "console.sqlite3"
    code, out, err = cli("import", "archive", str(zipped), default=target)  # the default --db
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == (
        "imported 12 customers, 51 contacts, 300 incidents (1,423 events, 64 attachments), "
        f"7 agents, 1 policy versions into {target}"
    )
    assert lines[1].startswith("passphrases to choose at the first sign-in: ")
    assert "(admin)" in lines[1] and "(lead)" in lines[1]
    assert content(target) == content(demo.folder / "imported.sqlite3")


def test_command_mistakes_are_said_in_words(tmp_path: Path) -> None:
    nowhere = tmp_path / "none.sqlite3"
    code, _, err = cli("export", "--db", str(nowhere), "--to", "x.zip", default=nowhere)
    assert code == 1 and "There is no database at" in err
    assert not nowhere.exists()
    code, _, err = cli("export", "--db", str(nowhere), default=nowhere)
    assert code == 2 and "--to" in err
    db = tmp_path / "db.sqlite3"
    make_store(db).close()
    code, _, err = cli(
        "export", "--db", str(db), "--to", str(tmp_path / "no" / "x.zip"), default=db
    )
    assert code == 1 and "does not exist" in err
    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("hello")
    code, _, err = cli("import", "archive", str(not_zip), "--db", str(db), default=db)
    assert code == 1 and "is not a zip archive" in err
    code, _, err = cli("import", "archive", str(tmp_path / "gone.zip"), default=db)
    assert code == 1 and "There is no file" in err
    code, _, err = cli("import", "archive", default=db)
    assert code == 2


def test_an_event_id_twice_is_refused(demo: RoundTrip, tmp_path: Path, empty_db: Path) -> None:
    def doubled(name: str, data: bytes) -> bytes:
        return data.splitlines(keepends=True)[0] + data if name == "events.jsonl" else data

    archive = tmp_path / "twice.zip"
    resealed(demo.archive, archive, doubled)
    before = content(empty_db)
    refused(archive, empty_db, "events.jsonl: ", "an event id appears twice")
    assert content(empty_db) == before


def test_someone_already_signed_up_stays_and_a_namesake_is_refused(
    demo: RoundTrip, tmp_path: Path, empty_db: Path
) -> None:
    store = make_store(empty_db)
    newcomer = AgentService(store, HybridLogicalClock("ws-e")).sign_up(
        "Noor Haddad", passphrase=PASSPHRASE
    )
    store.close()
    code, _, err = cli(
        "import", "archive", str(demo.archive), "--db", str(empty_db), default=empty_db
    )
    assert (code, err) == (0, "")
    imported = make_store(empty_db)
    try:
        with imported.read() as tx:
            assert tx.agents.get(newcomer.id) == newcomer
            assert tx.agents.access(newcomer.id).passphrase_hash  # theirs, untouched
            assert len(tx.customers.list()) == 12
    finally:
        imported.close()

    other = tmp_path / "other.sqlite3"
    store = make_store(other)
    with demo.original.read() as tx:
        namesake = tx.agents.list()[0].name
    AgentService(store, HybridLogicalClock("ws-o")).sign_up(namesake, passphrase=PASSPHRASE)
    store.close()
    before = content(other)
    refused(demo.archive, other, "agents.jsonl line ", f"another agent named {namesake!r}")
    assert content(other) == before


_LIMITED_EXPORT = """
import resource, signal, sys
from pathlib import Path
from safekeeping.archive_cli import export_command
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), resource.RLIM_INFINITY))
sys.exit(export_command(["--db", sys.argv[1], "--to", sys.argv[2]], lambda: Path(sys.argv[1])))
"""


def test_a_disk_that_fills_up_is_said_in_words_and_the_next_export_works(
    demo: RoundTrip, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    copy(demo.folder / "demo.sqlite3", db)
    target = tmp_path / "out" / "team.zip"
    target.parent.mkdir()
    run = [sys.executable, "-c", _LIMITED_EXPORT, str(db), str(target)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    full = subprocess.run(
        [*run, "60000"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert full.returncode == 1, full.stderr
    assert "Nothing was exported" in full.stderr and "Traceback" not in full.stderr
    assert list(target.parent.iterdir()) == []  # no zip, no partial file left behind
    again = subprocess.run(
        [*run, str(10**9)], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert again.returncode == 0, again.stderr
    assert _looks_complete(target)
