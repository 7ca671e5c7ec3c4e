"""Undoable support-list edits: each command calls the service, undo calls the inverse.

Commands run their service calls as dispatcher jobs through a :class:`ListRunner` (the
editor), which refuses new work while a job is on its way, so the database always sees the
edits in stack order. An edit that was already saved (a form validated by the service, a
drag that moved the row at once) is pushed with ``done=True``: its first ``redo`` does nothing.

Deleting only flags a contact (the service keeps it for history and sync), so undoing a
delete, or redoing an add, restores that same record in one transaction: same id, same
details, at the row it had. Incidents that name it find it again and other workstations see
an un-delete, not a new contact. :class:`ContactRef` is the id every command about one
contact shares: an add that has not run yet learns it when it does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtGui import QUndoCommand

from console.domain.records import Contact
from console.services.customers import CustomerService
from console.services.ranking import ordered_by_rank

#: Any row past the end: the service clamps it, so a contact restored there goes last.
_END = sys.maxsize


class ListRunner(Protocol):
    def run_list_job(self, job: Callable[[], object]) -> None:
        """Run ``job`` off the GUI thread, then reload the list (or report the failure)."""


@dataclass
class ContactRef:
    """The current id of one contact, shared by every command about it."""

    id: str


@dataclass(frozen=True, slots=True)
class ContactFields:
    name: str
    role: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]

    @classmethod
    def of(cls, contact: Contact) -> ContactFields:
        return cls(contact.name, contact.role, contact.emails, contact.phones)


def place_contact(service: CustomerService, customer_id: str, contact_id: str, index: int) -> None:
    """Move a contact to ``index`` of its list (clamped), by naming its new neighbours."""
    customer = service.customer(customer_id)
    others = [c.id for c in ordered_by_rank(customer.contacts) if c.id != contact_id]
    index = max(0, min(index, len(others)))
    before = others[index - 1] if index > 0 else None
    after = others[index] if index < len(others) else None
    if before is None and after is None:
        return  # the only contact: nowhere else to go
    service.move_contact(contact_id, before, after)


class _ListCommand(QUndoCommand):
    def __init__(
        self,
        text: str,
        runner: ListRunner,
        service: CustomerService,
        customer_id: str,
        ref: ContactRef,
        *,
        done: bool = False,
    ) -> None:
        super().__init__(text)
        self._runner = runner
        self._service = service
        self._customer_id = customer_id
        self._ref = ref
        self._skip_redo = done

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self._runner.run_list_job(self._forward)

    def undo(self) -> None:
        self._runner.run_list_job(self._backward)

    def _forward(self) -> None:
        raise NotImplementedError

    def _backward(self) -> None:
        raise NotImplementedError


class AddContactCommand(_ListCommand):
    """Add at the end of the list; undo takes the contact off again, redo restores it."""

    def __init__(
        self,
        runner: ListRunner,
        service: CustomerService,
        customer_id: str,
        ref: ContactRef,
        fields: ContactFields,
        *,
        done: bool = False,
    ) -> None:
        super().__init__(f"Add {fields.name}", runner, service, customer_id, ref, done=done)
        self._fields = fields
        self._created = done  # once the record exists, redo restores it (same id)

    def _forward(self) -> None:
        if self._created:
            self._service.restore_contact(self._ref.id, index=_END)
            return
        fields = self._fields
        contact = self._service.add_contact(
            self._customer_id, fields.name, fields.role, fields.emails, fields.phones
        )
        self._ref.id = contact.id
        self._created = True

    def _backward(self) -> None:
        self._service.delete_contact(self._ref.id)


class EditContactCommand(_ListCommand):
    def __init__(
        self,
        runner: ListRunner,
        service: CustomerService,
        customer_id: str,
        ref: ContactRef,
        old: ContactFields,
        new: ContactFields,
        *,
        done: bool = False,
    ) -> None:
        super().__init__(f"Edit {new.name}", runner, service, customer_id, ref, done=done)
        self._old, self._new = old, new

    def _edit(self, fields: ContactFields) -> None:
        self._service.edit_contact(
            self._ref.id,
            name=fields.name,
            role=fields.role,
            emails=fields.emails,
            phones=fields.phones,
        )

    def _forward(self) -> None:
        self._edit(self._new)

    def _backward(self) -> None:
        self._edit(self._old)


class DeleteContactCommand(_ListCommand):
    """Take a contact off the list; undo restores the same record at the same row."""

    def __init__(
        self,
        runner: ListRunner,
        service: CustomerService,
        customer_id: str,
        ref: ContactRef,
        fields: ContactFields,
        index: int,
        *,
        done: bool = False,
    ) -> None:
        super().__init__(f"Delete {fields.name}", runner, service, customer_id, ref, done=done)
        self._index = index  # its row when deleted: where undo puts it back

    def _forward(self) -> None:
        self._service.delete_contact(self._ref.id)

    def _backward(self) -> None:
        self._service.restore_contact(self._ref.id, index=self._index)


class MoveContactCommand(_ListCommand):
    """Move to another place in the list (a drag); undo moves it back."""

    def __init__(
        self,
        runner: ListRunner,
        service: CustomerService,
        customer_id: str,
        ref: ContactRef,
        name: str,
        from_row: int,
        to_row: int,
        *,
        done: bool = False,
    ) -> None:
        super().__init__(
            f"Move {name} to position {to_row + 1}", runner, service, customer_id, ref, done=done
        )
        self._from, self._to = from_row, to_row

    def _forward(self) -> None:
        place_contact(self._service, self._customer_id, self._ref.id, self._to)

    def _backward(self) -> None:
        place_contact(self._service, self._customer_id, self._ref.id, self._from)


class StepContactCommand(_ListCommand):
    """One place up or down (the buttons); undo is the opposite step."""

    def __init__(
        self,
        runner: ListRunner,
        service: CustomerService,
        customer_id: str,
        ref: ContactRef,
        name: str,
        step: int,
        *,
        done: bool = False,
    ) -> None:
        direction = "up" if step < 0 else "down"
        super().__init__(f"Move {name} {direction}", runner, service, customer_id, ref, done=done)
        self._step = step

    def _shift(self, step: int) -> None:
        if step < 0:
            self._service.move_up(self._ref.id)
        else:
            self._service.move_down(self._ref.id)

    def _forward(self) -> None:
        self._shift(self._step)

    def _backward(self) -> None:
        self._shift(-self._step)
