"""Settings → Agents, and who may edit support windows on screen.

Real widgets over a real SQLite file. An admin adds, grants and deactivates, and each change
shows in the dialog's record; an agent sees the team but no controls; an agent who saves a
support window in the editor is refused in words and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from console.domain.ids import HybridLogicalClock
from console.domain.records import Agent, Role
from console.qt.worker import Dispatcher
from console.services.agents import AgentService
from console.services.seed import seed_defaults
from console.services.validation import NotAllowed
from console.ui.agents import AgentsDialog
from console.ui.customers.window_dialog import WindowEditorDialog
from db.engine import open_database
from db.store import SqliteStore
from tests.ui.customers_fixtures import CustomersWorld, customers_world
from tests.ui.incident_fixtures import START, FakeClock, dispatcher

__all__ = ["customers_world", "dispatcher"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

SECRET = "correct horse battery staple"


@dataclass
class Team:
    store: SqliteStore
    hlc: HybridLogicalClock
    clock: FakeClock
    admin: Agent
    agent: Agent
    other: Agent

    def service(self, actor: Agent | None) -> AgentService:
        return AgentService(self.store, self.hlc, actor, self.clock)


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    clock = FakeClock()
    store = SqliteStore(open_database(tmp_path / "t.sqlite3", backup=False, quick_check=False))
    hlc = HybridLogicalClock("ws-test", lambda: int(clock.now().timestamp() * 1000))
    seed_defaults(store, clock, hlc)
    root = AgentService(store, hlc, None, clock)
    yield Team(
        store=store,
        hlc=hlc,
        clock=clock,
        admin=root.sign_up("Priya Raman", passphrase=SECRET),
        agent=root.sign_up("Sofia Alvarez"),
        other=root.sign_up("Tom Becker"),
    )
    store.close()


def open_dialog(qtbot, team: Team, actor: Agent) -> AgentsDialog:
    dialog = AgentsDialog(team.service(actor))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def names_and_roles(dialog: AgentsDialog) -> list[tuple[str, str, str]]:
    table = dialog.table
    return [
        (table.item(r, 0).text(), table.item(r, 1).text(), table.item(r, 3).text())
        for r in range(table.rowCount())
    ]


def test_an_agent_sees_the_team_but_cannot_grant_anything(qtbot, team: Team) -> None:
    dialog = open_dialog(qtbot, team, team.agent)
    assert names_and_roles(dialog) == [
        ("Priya Raman", "admin", "Active"),
        ("Sofia Alvarez", "agent", "Active"),
        ("Tom Becker", "agent", "Active"),
    ]
    assert dialog.editor.isHidden()
    assert dialog.read_only_note.isVisible()
    assert "Only an admin" in dialog.read_only_note.text()


def test_an_admin_grants_lead_only_with_a_passphrase_and_the_change_is_recorded(
    qtbot, team: Team
) -> None:
    dialog = open_dialog(qtbot, team, team.admin)
    dialog.select(team.agent.id)
    dialog.role.setCurrentIndex(dialog.role.findData(Role.LEAD.value))
    dialog.role_button.click()
    assert dialog.message.isVisible()
    assert "passphrase" in dialog.message.text()
    assert team.service(None).agent(team.agent.id).role is Role.AGENT

    dialog.passphrase.setText(SECRET)
    dialog.role_button.click()
    assert not dialog.message.isVisible()
    assert dialog.passphrase.text() == ""  # never left in the field
    assert ("Sofia Alvarez", "lead", "Active") in names_and_roles(dialog)
    lines = [dialog.changes.item(i).text() for i in range(dialog.changes.count())]
    assert (
        f"{START:%Y-%m-%d %H:%M} UTC · Priya Raman: Sofia Alvarez — role changed (agent → lead)"
        in lines
    )
    assert team.service(None).sign_in(team.agent.id, SECRET).role is Role.LEAD


def test_an_admin_adds_an_agent_and_deactivates_one(qtbot, team: Team) -> None:
    dialog = open_dialog(qtbot, team, team.admin)
    dialog.name.setText("Ana Lima")
    dialog.add_button.click()
    assert ("Ana Lima", "agent", "Active") in names_and_roles(dialog)

    dialog.select(team.other.id)
    assert dialog.deactivate_button.isEnabled()
    dialog.deactivate_button.click()
    assert ("Tom Becker", "agent", "Deactivated") in names_and_roles(dialog)
    assert dialog.reactivate_button.isEnabled()
    with pytest.raises(NotAllowed):
        team.service(None).sign_in(team.other.id)


def test_an_agent_saving_a_support_window_is_refused_and_nothing_is_saved(
    qtbot, customers_world: CustomersWorld, dispatcher: Dispatcher
) -> None:
    context = customers_world.context(customers_world.agent)
    before = context.customers.windows()
    dialog = WindowEditorDialog(context, dispatcher)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.name.setText("Berlin")
    dialog.hours.setText("Mon-Fri 09:00-17:00")
    dialog._set_zone("Europe/Berlin")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dispatcher.busy)
    qtbot.waitUntil(dialog.general_error.isVisible)
    assert "only a lead or an admin may create a support window" in dialog.general_error.text()
    assert dialog.isVisible()
    assert context.customers.windows() == before
