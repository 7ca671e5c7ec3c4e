"""Signing in: roles are granted, not claimed; a lead or admin needs their passphrase.

``main.sign_in`` runs for real over a real SQLite file and the real dialog; only the dialog's
modal ``exec`` is scripted (each step fills the widgets as a person would, or cancels).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QProcess

import main
from console.domain.ids import HybridLogicalClock
from console.domain.records import Agent, Role
from console.qt.settings import Settings
from console.qt.worker import Dispatcher
from console.services.agents import AgentService
from console.services.seed import seed_defaults
from console.services.workstation import remember_agent, signed_in_agent
from console.ui.shell.main_window import MainWindow
from console.ui.shell.sign_in import SignInDialog
from db.engine import open_database
from db.store import SqliteStore
from tests.ui.customers_fixtures import CustomersWorld, customers_world
from tests.ui.incident_fixtures import FakeClock, dispatcher

__all__ = ["customers_world", "dispatcher"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

SECRET = "correct horse battery staple"
Step = Callable[[SignInDialog], bool]  # fill the dialog; True to press OK, False to cancel


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[SqliteStore, HybridLogicalClock]]:
    clock = FakeClock()
    store = SqliteStore(open_database(tmp_path / "t.sqlite3", backup=False, quick_check=False))
    hlc = HybridLogicalClock("ws-test", lambda: int(clock.now().timestamp() * 1000))
    seed_defaults(store, clock, hlc)
    yield store, hlc
    store.close()


def script(monkeypatch: pytest.MonkeyPatch, *steps: Step) -> list[SignInDialog]:
    """Replace the modal loop: each ``exec`` runs the next step; none left means Cancel."""
    shown: list[SignInDialog] = []
    pending = list(steps)

    def exec_(dialog: SignInDialog) -> int:
        shown.append(dialog)
        if not pending:
            return 0
        if not pending.pop(0)(dialog):
            return 0
        dialog.accept()
        return 1 if dialog.result() else exec_(dialog)  # a refused accept() stays open

    monkeypatch.setattr(SignInDialog, "exec", exec_)
    return shown


def choose(dialog: SignInDialog, agent: Agent) -> None:
    dialog.existing.setCurrentIndex(dialog.existing.findData(agent.id))


def test_the_first_person_becomes_admin_and_chooses_a_passphrase(
    qtbot, monkeypatch: pytest.MonkeyPatch, world: tuple[SqliteStore, HybridLogicalClock]
) -> None:
    store, hlc = world

    def first(dialog: SignInDialog) -> bool:
        assert dialog.chosen_agent_id() is None  # no one to pick: a new agent
        assert dialog.asks_passphrase() and dialog.chooses_passphrase()
        assert "you become its admin" in dialog.note.text()
        dialog.name.setText("Priya Raman")
        dialog.passphrase.setText(SECRET)
        dialog.repeat.setText(SECRET)
        return True

    script(monkeypatch, first)
    agent = main.sign_in(store, hlc)
    assert agent is not None and agent.role is Role.ADMIN
    assert signed_in_agent(store) == agent


def test_the_second_person_signs_up_as_an_agent_with_no_role_to_pick(
    qtbot, monkeypatch: pytest.MonkeyPatch, world: tuple[SqliteStore, HybridLogicalClock]
) -> None:
    store, hlc = world
    AgentService(store, hlc).sign_up("Priya Raman", passphrase=SECRET)

    def newcomer(dialog: SignInDialog) -> bool:
        dialog.existing.setCurrentIndex(dialog.existing.findData(SignInDialog.NEW))
        assert not hasattr(dialog, "role")  # there is no role to claim
        assert not dialog.asks_passphrase()
        assert "You sign up as an agent" in dialog.note.text()
        dialog.name.setText("Mallory Admin")
        return True

    script(monkeypatch, newcomer)
    agent = main.sign_in(store, hlc)
    assert agent is not None and agent.role is Role.AGENT


def test_a_lead_without_the_right_passphrase_is_refused_and_not_signed_in(
    qtbot, monkeypatch: pytest.MonkeyPatch, world: tuple[SqliteStore, HybridLogicalClock]
) -> None:
    store, hlc = world
    admin = AgentService(store, hlc).sign_up("Priya Raman", passphrase=SECRET)
    lead = AgentService(store, hlc, admin).register("Marcus Webb", Role.LEAD, passphrase=SECRET)
    errors: list[str] = []

    def wrong(dialog: SignInDialog) -> bool:
        choose(dialog, lead)
        assert dialog.asks_passphrase() and not dialog.chooses_passphrase()
        dialog.passphrase.setText("not the passphrase")
        return True

    def give_up(dialog: SignInDialog) -> bool:
        errors.append(dialog.error.text())
        assert dialog.passphrase.text() == ""  # cleared for the next try
        return False

    script(monkeypatch, wrong, give_up)
    assert main.sign_in(store, hlc) is None
    assert errors == ["That is not Marcus Webb's passphrase."]
    assert signed_in_agent(store) is None


def test_a_remembered_lead_is_asked_again_and_a_remembered_agent_goes_straight_in(
    qtbot, monkeypatch: pytest.MonkeyPatch, world: tuple[SqliteStore, HybridLogicalClock]
) -> None:
    store, hlc = world
    admin = AgentService(store, hlc).sign_up("Priya Raman", passphrase=SECRET)
    sofia = AgentService(store, hlc).sign_up("Sofia Alvarez")
    remember_agent(store, admin)

    def right(dialog: SignInDialog) -> bool:
        assert dialog.chosen_agent_id() == admin.id  # preselected
        dialog.passphrase.setText(SECRET)
        return True

    shown = script(monkeypatch, right)
    assert main.sign_in(store, hlc) == admin
    assert len(shown) == 1

    remember_agent(store, sofia)
    assert main.sign_in(store, hlc) == sofia
    assert len(shown) == 1  # no dialog for an agent already remembered


def test_a_deactivated_agent_is_not_offered_and_not_let_in(
    qtbot, monkeypatch: pytest.MonkeyPatch, world: tuple[SqliteStore, HybridLogicalClock]
) -> None:
    store, hlc = world
    admin = AgentService(store, hlc).sign_up("Priya Raman", passphrase=SECRET)
    tom = AgentService(store, hlc).sign_up("Tom Becker")
    remember_agent(store, tom)
    AgentService(store, hlc, admin).deactivate(tom.id)

    def look(dialog: SignInDialog) -> bool:
        offered = [dialog.existing.itemData(i) for i in range(dialog.existing.count())]
        assert offered == [admin.id, SignInDialog.NEW]
        return False

    shown = script(monkeypatch, look)
    assert main.sign_in(store, hlc) is None
    assert len(shown) == 1


def test_two_different_passphrases_keep_the_dialog_open(qtbot) -> None:
    dialog = SignInDialog([])
    qtbot.addWidget(dialog)
    dialog.name.setText("Priya Raman")
    dialog.passphrase.setText(SECRET)
    dialog.repeat.setText(SECRET + "!")
    dialog.accept()
    assert dialog.result() == 0
    assert dialog.error.text() == "The two passphrases differ: type the same one twice."


def test_switch_agent_forgets_who_was_here_and_asks_for_the_next(
    qtbot, customers_world: CustomersWorld, dispatcher: Dispatcher, tmp_path: Path
) -> None:
    world = customers_world
    remember_agent(world.store, world.agent)
    window = MainWindow(world.context(world.agent), dispatcher, Settings(tmp_path / "s.ini"))
    qtbot.addWidget(window)
    assert window.switch_agent_action in window.menuBar().actions()[0].menu().actions()
    with qtbot.waitSignal(window.agent_switch_requested):
        window.switch_agent_action.trigger()
    assert signed_in_agent(world.store) is None  # the next start asks too
    assert window.agents_action in window.settings_menu.actions()


def test_switch_agent_without_a_receiver_starts_the_console_anew(
    qtbot,
    monkeypatch: pytest.MonkeyPatch,
    customers_world: CustomersWorld,
    dispatcher: Dispatcher,
    tmp_path: Path,
) -> None:
    world = customers_world
    remember_agent(world.store, world.agent)
    window = MainWindow(world.context(world.agent), dispatcher, Settings(tmp_path / "s.ini"))
    qtbot.addWidget(window)
    window.show()
    started: list[tuple[str, list[str]]] = []

    def start_detached(program: str, arguments: list[str]) -> tuple[bool, int]:
        started.append((program, arguments))
        return True, 4242

    monkeypatch.setattr(sys, "orig_argv", ["python", "main.py", "--demo", "--rebuild-demo"])
    monkeypatch.setattr(QProcess, "startDetached", start_detached)
    window.switch_agent_action.trigger()
    assert started == [(sys.executable, ["main.py", "--demo"])]  # never rebuilds the demo
    assert not window.isVisible()
    assert signed_in_agent(world.store) is None
