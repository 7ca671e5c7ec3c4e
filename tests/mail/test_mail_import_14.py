"""Issue 14: ``main.py mail import`` — the contract for scripts. One line per message on
stdout in the words of DESIGN §11, a refused file named on stderr with a non-zero exit, and
nothing half-saved; importing the same files again changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

import main
from console.domain.ids import HybridLogicalClock
from console.domain.records import Agent, Role
from console.services.context import SystemClock
from console.services.customers import CustomerService
from console.services.seed import builtin_window_id, seed_defaults
from db.engine import open_database
from db.store import SqliteStore

CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A console database whose customer lists the corpus's Anna Berg and Nina Graf."""
    path = tmp_path / "console.sqlite3"
    store = SqliteStore(open_database(path, backup=False, quick_check=False))
    try:
        clock = SystemClock()
        hlc = HybridLogicalClock("ws-cli")
        seed_defaults(store, clock, hlc)
        admin = Agent(id="", name="Admin", role=Role.ADMIN)
        customers = CustomerService(store, clock, admin, hlc)
        harbor = customers.create_customer("Harbor Logistics", "standard", builtin_window_id("gmt"))
        customers.add_contact(harbor.id, "Anna Berg", "IT lead", ["anna.berg@example.com"])
        customers.add_contact(harbor.id, "Nina Graf", "Operations", ["nina.graf@example.com"])
    finally:
        store.close()
    return path


def run(db: Path, *names: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    files = [str(CORPUS / n) if not n.startswith("/") else n for n in names]
    code = main.main(["mail", "import", "--db", str(db), *files])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_the_corpus_imports_with_one_line_per_message(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, err = run(
        db,
        "new-report.eml",
        "reply-threaded.eml",
        "labelled-report.eml",
        "ooo-exchange.eml",
        "newsletter.eml",
        "dsn-bounce.eml",
        "koi8r.eml",
        capsys=capsys,
    )
    assert code == 0, err
    assert lines[0].startswith("created INC-") and lines[0].endswith(" Harbor Logistics")
    number = lines[0].split()[1]
    assert lines[1] == f"threaded {number}"
    assert lines[2].startswith("created INC-") and lines[2].endswith(" Harbor Logistics")
    assert lines[3:5] == ["ignored auto-reply", "ignored bulk"]
    assert lines[5].startswith("bounce ")
    assert lines[6] == "held unknown-sender ivan.petrov@example.net"
    assert len(lines) == 7

    # The same files again: nothing new, each said so.
    code, again, _ = run(db, "new-report.eml", "reply-threaded.eml", capsys=capsys)
    assert code == 0
    assert again == ["ignored duplicate", "ignored duplicate"]


def test_an_unreadable_file_is_named_on_stderr_and_the_rest_still_import(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    noise = tmp_path / "noise.eml"
    noise.write_bytes(b"\x00\x01 this is not mail at all \xff\xfe")
    missing = tmp_path / "missing.eml"
    code, lines, err = run(
        db, str(empty), str(noise), str(missing), "new-report.eml", capsys=capsys
    )
    assert code == 1
    assert f"refused {empty}: the file is empty" in err
    assert f"refused {noise}: not a mail message" in err
    assert f"refused {missing}: no such file" in err
    assert len(lines) == 1 and lines[0].startswith("created INC-")
    assert "Traceback" not in err


def test_no_database_is_a_refusal_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, err = run(tmp_path / "nowhere.sqlite3", "new-report.eml", capsys=capsys)
    assert code == 1 and lines == []
    assert "There is no database at" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["mail", "import"]) == 2
    assert main.main(["mail", "frobnicate"]) == 2
    capsys.readouterr()
