"""Reading an attachment back: the bytes attached, or a clear refusal, never a damaged file."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import update

from console.services.incidents import IncidentService
from console.services.validation import ValidationError
from db.models import AttachmentRow
from db.store import SqliteStore
from tests.services.conftest import Customers, report

LOG = b"2026-03-10T17:00:01Z ERROR upstream timed out\n\x00\xff binary tail"


def damage(store: SqliteStore, attachment_id: str, content: bytes) -> None:
    """What a failing disk or a bad copy leaves behind: the row's bytes change under it."""
    with store.transaction() as tx:
        tx.session.execute(
            update(AttachmentRow).where(AttachmentRow.id == attachment_id).values(content=content)
        )


def refusal(excinfo: pytest.ExceptionInfo[ValidationError]) -> str:
    return excinfo.value.errors["attachment"]


def test_an_attachment_reads_back_as_it_was_attached(
    incidents: IncidentService, customers: Customers
) -> None:
    opened = incidents.open_incident(report(customers.premium, attachments=[("app.log", LOG)]))
    incidents.update_report(opened.id, {"attachments": [("har.json", b"{}")]})
    first, second = incidents.details(opened.id).attachments

    found, content = incidents.attachment(opened.id, first.id)
    assert (found, content) == (first, LOG)
    assert incidents.attachment(opened.id, second.id) == (second, b"{}")
    assert found.sha256 == hashlib.sha256(content).hexdigest()


def test_a_missing_attachment_is_refused_in_words(
    incidents: IncidentService, customers: Customers
) -> None:
    opened = incidents.open_incident(report(customers.premium, attachments=[("app.log", LOG)]))
    other = incidents.open_incident(report(customers.premium))
    (log,) = incidents.details(opened.id).attachments

    with pytest.raises(ValidationError) as excinfo:
        incidents.attachment(other.id, log.id)  # not this incident's file
    assert refusal(excinfo) == "This attachment is not stored with the incident."
    with pytest.raises(ValidationError) as excinfo:
        incidents.attachment(opened.id, "no-such-attachment")
    assert refusal(excinfo) == "This attachment is not stored with the incident."


def test_bytes_that_no_longer_match_the_checksum_are_refused(
    incidents: IncidentService, customers: Customers, store: SqliteStore
) -> None:
    opened = incidents.open_incident(report(customers.premium, attachments=[("app.log", LOG)]))
    (log,) = incidents.details(opened.id).attachments
    flipped = bytes([LOG[0] ^ 0x01]) + LOG[1:]  # same size, one bit different
    damage(store, log.id, flipped)

    with pytest.raises(ValidationError) as excinfo:
        incidents.attachment(opened.id, log.id)
    assert refusal(excinfo) == (
        '"app.log" is damaged in the database: its content no longer matches the SHA-256 '
        "checksum recorded when it was attached. Ask the customer to send it again."
    )


def test_cut_off_bytes_are_refused_with_both_sizes(
    incidents: IncidentService, customers: Customers, store: SqliteStore
) -> None:
    content = b"x" * 5000
    opened = incidents.open_incident(report(customers.premium, attachments=[("dump.bin", content)]))
    (dump,) = incidents.details(opened.id).attachments
    damage(store, dump.id, content[:1024])

    with pytest.raises(ValidationError) as excinfo:
        incidents.attachment(opened.id, dump.id)
    assert refusal(excinfo) == (
        '"dump.bin" is damaged in the database: 1,024 bytes are stored, but the file attached '
        "was 5,000 bytes. Ask the customer to send it again."
    )


# -- names that hide what a file is (issue 12) ----------------------------------------------

DIRECTION = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))] + [
    "\u200e",
    "\u200f",
    "\u061c",
]


def incident_count(store: SqliteStore) -> int:
    with store.read() as tx:
        return sum(1 for _ in tx.incidents.all_ids())


def test_a_name_that_reverses_its_extension_is_refused_with_its_real_type(
    incidents: IncidentService, customers: Customers, store: SqliteStore
) -> None:
    """``evil<U+202E>txt.exe`` shows as "evilexe.txt" but is a .exe: refused, nothing saved."""
    files = [("app.log", LOG), ("evil\u202etxt.exe", b"MZ\x90\x00")]
    with pytest.raises(ValidationError) as excinfo:
        incidents.open_incident(report(customers.premium, attachments=files))

    assert excinfo.value.errors == {
        "attachments[1]": "The file name contains invisible direction characters that hide its "
        'real type: it is a ".exe" file. Rename it, for example to "evil_txt.exe", and attach '
        "it again."
    }
    assert "\u202e" not in str(excinfo.value)  # the refusal never shows the disguise itself
    assert incident_count(store) == 0  # nothing half-saved, the good file neither


@pytest.mark.parametrize("hidden", DIRECTION, ids=lambda ch: f"U+{ord(ch):04X}")
def test_every_direction_character_is_refused_when_files_are_added(
    incidents: IncidentService, customers: Customers, hidden: str
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    with pytest.raises(ValidationError) as excinfo:
        incidents.update_report(opened.id, {"attachments": [(f"invoice{hidden}fdp.bat", b"x")]})

    message = excinfo.value.errors["attachments[0]"]
    assert message.startswith(
        "The file name contains invisible direction characters that hide its real type: "
        'it is a ".bat" file.'
    )
    assert message.endswith('Rename it, for example to "invoice_fdp.bat", and attach it again.')
    assert incidents.details(opened.id).attachments == ()


@pytest.mark.parametrize(
    ("name", "what", "safe"),
    [
        ("app\n.log", "a line break", "app_.log"),
        ("app.log\x00.txt", "a NUL character", "app.log_.txt"),
        ("one\ttwo\r\n.log", "a tab, a line break", "one_two__.log"),
        ("esc\x1b[31m.log", "U+001B", "esc_[31m.log"),
        ("para\u2029.log", "a line break", "para_.log"),
    ],
)
def test_a_name_with_control_characters_is_refused_with_a_safe_name(
    incidents: IncidentService,
    customers: Customers,
    store: SqliteStore,
    name: str,
    what: str,
    safe: str,
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        incidents.open_incident(report(customers.premium, attachments=[(name, LOG)]))

    assert excinfo.value.errors == {
        "attachments[0]": f"The file name contains control characters ({what}). Rename it, "
        f'for example to "{safe}", and attach it again.'
    }
    assert incident_count(store) == 0
    opened = incidents.open_incident(report(customers.premium, attachments=[(safe, LOG)]))
    (stored,) = incidents.details(opened.id).attachments  # the suggested name is accepted
    assert stored.filename == safe


def test_a_damaged_file_with_a_synced_hostile_name_is_named_safely(
    incidents: IncidentService, customers: Customers, store: SqliteStore
) -> None:
    """A row from an older workstation may carry any name; messages never echo it raw."""
    opened = incidents.open_incident(report(customers.premium, attachments=[("app.log", LOG)]))
    (log,) = incidents.details(opened.id).attachments
    with store.transaction() as tx:
        tx.session.execute(
            update(AttachmentRow)
            .where(AttachmentRow.id == log.id)
            .values(filename="evil\u202etxt.exe", content=b"X" + LOG[1:])
        )

    with pytest.raises(ValidationError) as excinfo:
        incidents.attachment(opened.id, log.id)
    assert refusal(excinfo).startswith('"evil_txt.exe" is damaged in the database')


@pytest.mark.parametrize("name", [None, b"app.log", 7])
def test_a_name_that_is_not_text_is_refused_in_words(
    incidents: IncidentService, customers: Customers, store: SqliteStore, name: object
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        incidents.open_incident(report(customers.premium, attachments=[(name, LOG)]))
    assert excinfo.value.errors == {"attachments[0]": "The file name is not text."}
    assert incident_count(store) == 0
