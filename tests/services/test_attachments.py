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
