"""Saved views: an agent's named queue filters, kept for themselves or shared with the team.

Who sees what: every shared view, and the signed-in agent's own private ones; another
agent's private view is never listed, read or changed here. Who may change what: a view's
owner may rename, refilter, share, unshare and delete it; a shared view made by someone else
only a team lead or an admin may change or delete.

Shared views reach every workstation through team sync (a plain record table, not a lead-only
one), so what ``views`` lists may come from any peer: a view whose filter does not read as a
filter shows the default filter, and names are cut to ``NAME_MAX`` characters.
"""

from __future__ import annotations

from dataclasses import replace

from console.domain.ids import HybridLogicalClock, new_id
from console.domain.records import Agent, Role
from console.domain.views import NAME_MAX, SavedView, ViewFilter
from console.services import validation as v
from console.services.ports import Store, Transaction
from console.services.validation import NotAllowed, ValidationError

__all__ = ["SavedViewService"]

_UNNAMED = "Unnamed view"
_GONE = "This view no longer exists."


def _shown(view: SavedView) -> SavedView:
    """``view`` fit to list: its name one line of printable text, at most ``NAME_MAX``
    characters (a synced row may hold anything)."""
    name = "".join(ch if ch.isprintable() else " " for ch in view.name)
    name = " ".join(name.split())
    if len(name) > NAME_MAX:
        name = name[: NAME_MAX - 1] + "…"
    return replace(view, name=name or _UNNAMED)


class SavedViewService:
    """The signed-in agent's saved views: list, save (create or update) and delete."""

    def __init__(self, store: Store, hlc: HybridLogicalClock, actor: Agent) -> None:
        self._store = store
        self._hlc = hlc
        self._actor = actor

    def views(self) -> list[SavedView]:
        """Every shared view and the agent's own private ones, sorted by name."""
        with self._store.read() as tx:
            return self._visible(tx)

    def save(
        self, name: str, flt: ViewFilter, *, shared: bool, view_id: str | None = None
    ) -> SavedView:
        """Create a view, or update ``view_id``'s name, filter and sharing.

        ``ValidationError`` (field ``name``) for a missing, too long or duplicate name;
        ``NotAllowed`` for another agent's shared view unless a lead or admin is signed in.
        """
        clean = ValidationError.wrap("name", lambda: v.name(name, what="name", max_len=NAME_MAX))
        if not isinstance(flt, ViewFilter):
            raise ValidationError.single("filter", "The view's filter is not a queue filter.")
        with self._store.transaction() as tx:
            visible = self._visible(tx)
            existing = None
            if view_id is not None:
                existing = self._editable(tx, view_id, "change")
            taken = clean.casefold()
            for other in visible:
                if other.name.casefold() == taken and (existing is None or other.id != existing.id):
                    raise ValidationError.single("name", f"a view called “{clean}” already exists")
            view = SavedView(
                id=existing.id if existing is not None else new_id(),
                name=clean,
                owner_id=existing.owner_id if existing is not None else self._actor.id,
                shared=bool(shared),
                filter=flt,
            )
            tx.saved_views.save(view, self._hlc.now())
        return view

    def delete(self, view_id: str) -> None:
        """Delete a view (a tombstone that syncs): its owner, or a lead or admin if shared."""
        with self._store.transaction() as tx:
            view = self._editable(tx, view_id, "delete")
            tx.saved_views.delete(view.id, self._hlc.now())

    # -- rules ------------------------------------------------------------------------------

    def _visible(self, tx: Transaction) -> list[SavedView]:
        mine = self._actor.id
        found = [
            _shown(view) for view in tx.saved_views.list() if view.shared or view.owner_id == mine
        ]
        return sorted(found, key=lambda view: (view.name.casefold(), view.name, view.id))

    def _editable(self, tx: Transaction, view_id: str, action: str) -> SavedView:
        """The view ``view_id`` if the signed-in agent may ``action`` it; raises otherwise."""
        key = ValidationError.wrap("view", lambda: v.record_id(view_id, what="saved view"))
        view = tx.saved_views.get(key) if key else None
        if view is None or (not view.shared and view.owner_id != self._actor.id):
            raise ValidationError.single("view", _GONE)
        if view.owner_id != self._actor.id and self._role(tx) not in (Role.LEAD, Role.ADMIN):
            raise NotAllowed(
                f"“{_shown(view).name}” is a view another agent shared: only a team lead or "
                f"an admin may {action} it. Save your own copy under a new name instead."
            )
        return view

    def _role(self, tx: Transaction) -> Role:
        """The actor's role as the database holds it now (sync may have changed it)."""
        try:
            current = tx.agents.get(self._actor.id)
        except ValueError:  # a role this console does not know, synced in by a peer
            current = None
        return current.role if current is not None else self._actor.role
