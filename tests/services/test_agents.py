"""Roles are granted, not claimed: sign-up, sign-in with a passphrase, grants, deactivation.

A real SQLite file; the team fixture registers through the composition root (actor None),
which is trusted code, as the demo is. People go through ``sign_up`` and ``sign_in``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from console.domain.ids import HybridLogicalClock
from console.domain.records import Role
from console.services.agents import (
    ADDED,
    DEACTIVATED,
    PASSPHRASE_SET,
    ROLE_CHANGED,
    SIGN_IN_REFUSED,
    AgentService,
    hash_passphrase,
    verify_passphrase,
)
from console.services.validation import NotAllowed, ValidationError
from db.store import SqliteStore
from tests.services.conftest import START, FakeClock, Team, make_store

SECRET = "correct horse battery staple"


@pytest.fixture
def empty(tmp_path: Path) -> SqliteStore:
    store = make_store(tmp_path / "new.sqlite3")
    yield store
    store.close()


def service(
    store: SqliteStore, hlc: HybridLogicalClock, clock: FakeClock, actor: object = None
) -> AgentService:
    return AgentService(store, hlc, actor, clock)  # type: ignore[arg-type]


# -- sign-up ----------------------------------------------------------------------------------


def test_the_first_person_is_admin_and_the_second_an_agent_whatever_they_want(
    empty: SqliteStore, hlc: HybridLogicalClock, clock: FakeClock
) -> None:
    agents = service(empty, hlc, clock)
    with pytest.raises(ValidationError) as excinfo:
        agents.sign_up("Priya Raman")  # the first admin must choose a passphrase
    assert set(excinfo.value.errors) == {"passphrase"}
    assert agents.agents() == []  # nothing half-saved

    first = agents.sign_up("Priya Raman", "priya@vendor.example", SECRET)
    second = agents.sign_up("Mallory Admin", passphrase="I am the admin now")
    assert first.role is Role.ADMIN
    assert second.role is Role.AGENT
    assert not agents.account(second.id).has_passphrase
    added = [c for c in agents.changes() if c.action == ADDED]
    assert [(c.agent_id, c.at) for c in added] == [(first.id, START), (second.id, START)]


def test_a_newcomer_cannot_sign_up_under_a_taken_name(
    store: SqliteStore, team: Team, hlc: HybridLogicalClock, clock: FakeClock
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        service(store, hlc, clock).sign_up("marcus webb")
    assert excinfo.value.errors == {"name": 'An agent named "marcus webb" is already registered.'}


# -- granting ---------------------------------------------------------------------------------


def test_an_agent_cannot_grant_roles_or_deactivate(
    store: SqliteStore, team: Team, hlc: HybridLogicalClock, clock: FakeClock
) -> None:
    as_agent = service(store, hlc, clock, team.agent)
    assert not as_agent.may_manage
    with pytest.raises(NotAllowed, match="only an admin may make someone lead"):
        as_agent.change_role(team.agent.id, Role.LEAD, SECRET)
    with pytest.raises(NotAllowed, match="only an admin may make someone admin"):
        as_agent.change_role(team.other.id, Role.ADMIN, SECRET)
    with pytest.raises(NotAllowed):
        as_agent.deactivate(team.other.id)
    with pytest.raises(NotAllowed, match="may register no one"):
        as_agent.register("Eve Agent", Role.ADMIN, passphrase=SECRET)
    assert service(store, hlc, clock).agent(team.agent.id).role is Role.AGENT
    assert not [c for c in as_agent.changes() if c.action in (ROLE_CHANGED, DEACTIVATED)]


def test_a_lead_adds_agents_but_grants_nothing(
    store: SqliteStore, team: Team, hlc: HybridLogicalClock, clock: FakeClock
) -> None:
    as_lead = service(store, hlc, clock, team.lead)
    hired = as_lead.register("New Agent")
    assert hired.role is Role.AGENT
    with pytest.raises(NotAllowed):
        as_lead.register("New Lead", Role.LEAD, passphrase=SECRET)
    with pytest.raises(NotAllowed):
        as_lead.change_role(hired.id, Role.LEAD, SECRET)


def test_an_admin_grants_lead_with_a_passphrase_and_the_change_is_recorded(
    store: SqliteStore, team: Team, hlc: HybridLogicalClock, clock: FakeClock
) -> None:
    as_admin = service(store, hlc, clock, team.admin)
    with pytest.raises(ValidationError) as excinfo:
        as_admin.change_role(team.agent.id, Role.LEAD)  # a lead needs a passphrase
    assert set(excinfo.value.errors) == {"passphrase"}
    assert as_admin.agent(team.agent.id).role is Role.AGENT

    clock.advance(minutes=5)
    promoted = as_admin.change_role(team.agent.id, Role.LEAD, SECRET)
    assert promoted.role is Role.LEAD
    changes = [(c.action, c.actor_name, c.detail, c.at) for c in as_admin.changes(team.agent.id)]
    assert (ROLE_CHANGED, "Priya Raman", "agent → lead", clock.now()) in changes
    assert (PASSPHRASE_SET, "Priya Raman", "set when made lead", clock.now()) in changes

    # Sofia, now a lead, signs in with the passphrase the admin set.
    assert service(store, hlc, clock).sign_in(team.agent.id, SECRET).role is Role.LEAD


def test_the_last_admin_keeps_the_role_and_no_one_deactivates_themselves(
    store: SqliteStore, team: Team, hlc: HybridLogicalClock, clock: FakeClock
) -> None:
    as_admin = service(store, hlc, clock, team.admin)
    with pytest.raises(NotAllowed, match="only active admin"):
        as_admin.change_role(team.admin.id, Role.AGENT)
    with pytest.raises(NotAllowed, match="cannot deactivate yourself"):
        as_admin.deactivate(team.admin.id)
    assert as_admin.agent(team.admin.id).role is Role.ADMIN


def test_a_demoted_admin_loses_their_powers_at_once(
    store: SqliteStore, team: Team, hlc: HybridLogicalClock, clock: FakeClock
) -> None:
    as_admin = service(store, hlc, clock, team.admin)
    other_admin = as_admin.change_role(team.lead.id, Role.ADMIN, SECRET)
    service(store, hlc, clock, other_admin).change_role(team.admin.id, Role.AGENT)
    # ``as_admin`` still holds Priya as she signed in: the store's role decides.
    with pytest.raises(NotAllowed):
        as_admin.change_role(team.other.id, Role.LEAD, SECRET)


def test_with_team_sync_the_server_decides(
    store: SqliteStore, team: Team, hlc: HybridLogicalClock, clock: FakeClock
) -> None:
    synced = AgentService(store, hlc, team.admin, clock, server_decides=True)
    assert not synced.may_manage
    with pytest.raises(NotAllowed, match="team server"):
        synced.change_role(team.agent.id, Role.LEAD, SECRET)


# -- signing in -------------------------------------------------------------------------------


def test_a_lead_without_the_right_passphrase_is_refused_and_recorded(
    store: SqliteStore, team: Team, hlc: HybridLogicalClock, clock: FakeClock
) -> None:
    agents = service(store, hlc, clock)
    service(store, hlc, clock, team.admin).set_passphrase(team.lead.id, SECRET)
    with pytest.raises(ValidationError) as excinfo:
        agents.sign_in(team.lead.id, "")
    assert excinfo.value.errors == {"passphrase": "Signing in as lead needs your passphrase."}
    with pytest.raises(ValidationError) as excinfo:
        agents.sign_in(team.lead.id, SECRET.upper())
    assert excinfo.value.errors == {"passphrase": "That is not Marcus Webb's passphrase."}
    refused = [c for c in agents.changes(team.lead.id) if c.action == SIGN_IN_REFUSED]
    assert [c.detail for c in refused] == ["wrong passphrase"]
    assert agents.sign_in(team.lead.id, SECRET) == team.lead
    assert agents.sign_in(team.agent.id) == team.agent  # an agent needs none


def test_a_lead_with_no_passphrase_yet_chooses_one_at_first_sign_in(
    store: SqliteStore, team: Team, hlc: HybridLogicalClock, clock: FakeClock
) -> None:
    agents = service(store, hlc, clock)
    with pytest.raises(ValidationError) as excinfo:
        agents.sign_in(team.lead.id, "short")
    assert "at least 8 characters" in excinfo.value.errors["passphrase"]
    assert not agents.account(team.lead.id).has_passphrase
    agents.sign_in(team.lead.id, SECRET)
    assert agents.account(team.lead.id).has_passphrase
    with pytest.raises(ValidationError):
        agents.sign_in(team.lead.id, "another passphrase")  # the first one now holds


def test_a_deactivated_agent_cannot_sign_in_and_keeps_their_name_on_history(
    store: SqliteStore, team: Team, hlc: HybridLogicalClock, clock: FakeClock
) -> None:
    as_admin = service(store, hlc, clock, team.admin)
    assert not as_admin.deactivate(team.other.id).active
    with pytest.raises(NotAllowed, match="Tom Becker has been deactivated"):
        service(store, hlc, clock).sign_in(team.other.id)
    assert as_admin.agent(team.other.id).name == "Tom Becker"
    deactivations = [
        (c.actor_name, c.at) for c in as_admin.changes(team.other.id) if c.action == DEACTIVATED
    ]
    assert deactivations == [("Priya Raman", START)]
    # A deactivated actor's service refuses to act, whatever it was built with.
    with pytest.raises(NotAllowed, match="no longer an active agent"):
        service(store, hlc, clock, team.other).register("Someone")
    as_admin.reactivate(team.other.id)
    assert service(store, hlc, clock).sign_in(team.other.id) == team.other


def test_the_passphrase_is_not_in_the_database_file_in_clear(
    tmp_path: Path, hlc: HybridLogicalClock, clock: FakeClock
) -> None:
    path = tmp_path / "clear.sqlite3"
    store = make_store(path)
    try:
        service(store, hlc, clock).sign_up("Priya Raman", passphrase="zebra-Quartz-7741")
    finally:
        store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(path.name))
    assert b"Priya Raman" in raw  # the file was read whole, journal and all
    assert b"zebra-Quartz-7741" not in raw
    assert "zebra-Quartz-7741".encode("utf-16-le") not in raw


def test_hashes_are_salted_and_compare_only_the_right_passphrase() -> None:
    one, two = hash_passphrase(SECRET), hash_passphrase(SECRET)
    assert one != two  # a random salt each time
    assert one.startswith("scrypt$32768$8$1$")
    assert verify_passphrase(SECRET, one) and verify_passphrase(SECRET, two)
    assert not verify_passphrase(SECRET + " ", one)
    assert not verify_passphrase(SECRET, "garbage")
    assert not verify_passphrase(SECRET, "scrypt$1$1$1$!!$!!")
