"""Customers, windows, support lists, the policy and roles: messages per field, order, flags."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from console.domain.ids import HybridLogicalClock
from console.domain.policy import load_policy
from console.domain.records import Role
from console.services.agents import AgentService
from console.services.customers import CustomerService
from console.services.incidents import IncidentService
from console.services.policy import PolicyService
from console.services.seed import builtin_window_id, seed_defaults
from console.services.validation import NotAllowed, ValidationError
from db.store import SqliteStore
from tests.services.conftest import Customers, FakeClock, Team, report

PACIFIC = builtin_window_id("pacific")
GMT = builtin_window_id("gmt")


def test_seeding_is_idempotent(
    store: SqliteStore, clock: FakeClock, hlc: HybridLogicalClock
) -> None:
    assert seed_defaults(store, clock, hlc) is False
    with store.read() as tx:
        assert [p.version for p in tx.policies.list()] == [1]
        names = sorted(w.name for w in tx.windows.list())
        assert names == ["Australian Eastern", "GMT", "Pacific"]
        assert all(w.builtin for w in tx.windows.list())


# -- customers -----------------------------------------------------------------------------


def test_customer_form_names_every_bad_field_and_saves_nothing(
    customer_service: CustomerService,
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        customer_service.create_customer(
            " ", "gold", PACIFIC, csm_name="Rachel", csm_email="rachel@", csm_phone="555"
        )
    errors = excinfo.value.errors
    assert errors["name"] == "The customer name is required."
    assert errors["plan"] == (
        '"gold" is not a known plan (one of: advanced, premium, premium_plus, standard).'
    )
    assert errors["csm_email"] == (
        '"rachel@" is not a valid email address: there must be something after the @-sign.'
    )
    assert errors["csm_phone"] == (
        '"555" is not a valid phone number: it has too few digits for a number in the United'
        " States."
    )
    assert customer_service.customers() == []


def test_account_manager_only_on_plans_that_have_one(customer_service: CustomerService) -> None:
    with pytest.raises(ValidationError) as excinfo:
        customer_service.create_customer("Acme", "standard", PACIFIC, csm_name="Rachel Adeyemi")
    assert "The Standard plan has no named account manager" in excinfo.value.errors["csm_name"]

    customer = customer_service.create_customer(
        "Acme", "premium_plus", PACIFIC, csm_name="Rachel Adeyemi", csm_phone="(415) 555-0190"
    )
    assert customer.csm_phone == "+14155550190"


def test_edit_customer_changes_only_what_is_given(
    customer_service: CustomerService, customers: Customers
) -> None:
    edited = customer_service.edit_customer(customers.standard.id, plan="advanced")
    assert (edited.name, edited.plan, edited.window_id) == ("Hollybrook Trust", "advanced", GMT)
    assert edited.contacts == customers.standard.contacts


# -- support lists -------------------------------------------------------------------------


def test_contact_with_a_bad_email_and_a_bad_phone(
    customer_service: CustomerService, customers: Customers
) -> None:
    before = customer_service.customer(customers.standard.id).contacts
    with pytest.raises(ValidationError) as excinfo:
        customer_service.add_contact(
            customers.standard.id,
            "Bob Stone",
            "Engineer",
            emails=["bob.stone@hollybrook.example", "bob@"],
            phones=["020 7946 01"],
        )
    assert excinfo.value.errors == {
        "emails[1]": '"bob@" is not a valid email address: there must be something after the '
        "@-sign.",
        "phones[0]": '"020 7946 01" is not a valid phone number: no number in Britain (UK) is '
        "assigned these digits (write other countries' numbers with + first).",
    }
    assert customer_service.customer(customers.standard.id).contacts == before


def test_contacts_are_normalised_in_the_customers_region(
    customer_service: CustomerService, customers: Customers
) -> None:
    contact = customer_service.add_contact(
        customers.standard.id,
        "  Bob   Stone ",
        "Engineer",
        emails=["Bob.Stone@HOLLYBROOK.example", ""],
        phones=["020 7946 0123", "+1 (415) 555-0123"],
    )
    assert contact.name == "Bob Stone"
    assert contact.emails == ("Bob.Stone@hollybrook.example",)
    assert contact.phones == ("+442079460123", "+14155550123")


def test_a_contact_needs_a_way_to_reach_them(
    customer_service: CustomerService, customers: Customers
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        customer_service.add_contact(customers.premium.id, "Nobody", "", [], [" "])
    assert excinfo.value.errors == {"emails": "Give at least one email address or phone number."}
    with pytest.raises(ValidationError) as excinfo:
        customer_service.add_contact(
            customers.premium.id, "Twice", "", ["a@x.example", "A@X.example"]
        )
    assert excinfo.value.errors == {"emails[1]": '"A@X.example" is listed twice.'}


def test_reordering_moves_one_contact_by_its_key(
    customer_service: CustomerService, customers: Customers
) -> None:
    svc, cid = customer_service, customers.premium.id
    olivia, maria = customers.premium.contacts
    james = svc.add_contact(cid, "James Okafor", "Sysadmin", ["james@northwind.example"])

    order = svc.move_contact(james.id, None, olivia.id)  # first
    assert [c.name for c in order] == ["James Okafor", "Olivia Chen", "Maria Rossi"]
    ranks = {c.id: c.rank for c in order}
    assert ranks[olivia.id] == olivia.rank and ranks[maria.id] == maria.rank  # untouched

    order = svc.move_contact(james.id, olivia.id, maria.id)
    assert [c.name for c in order] == ["Olivia Chen", "James Okafor", "Maria Rossi"]
    order = svc.move_down(olivia.id)
    assert [c.name for c in order] == ["James Okafor", "Olivia Chen", "Maria Rossi"]
    order = svc.move_up(maria.id)
    assert [c.name for c in order] == ["James Okafor", "Maria Rossi", "Olivia Chen"]
    assert svc.move_up(james.id) == order  # already first: nothing changes

    with pytest.raises(ValidationError) as excinfo:
        svc.move_contact(james.id, olivia.id, maria.id)  # Maria is above Olivia now
    assert "not neighbours" in excinfo.value.errors["after_id"]


def test_reordering_breaks_ties_left_by_concurrent_edits(
    customer_service: CustomerService,
    customers: Customers,
    store: SqliteStore,
    hlc: HybridLogicalClock,
) -> None:
    olivia, maria = customers.premium.contacts
    with store.transaction() as tx:  # as if two workstations had both appended "a1"
        tx.customers.save_contact(replace(maria, rank=olivia.rank), hlc.now())
    third = customer_service.add_contact(customers.premium.id, "Zed", "", ["z@n.example"])
    order = customer_service.move_contact(third.id, olivia.id, maria.id)
    assert [c.name for c in order] == ["Olivia Chen", "Zed", "Maria Rossi"]
    assert len({c.rank for c in order}) == 3
    assert [c.rank for c in order] == sorted(c.rank for c in order)


def test_deleting_a_contact_keeps_the_history(
    customer_service: CustomerService, customers: Customers, store: SqliteStore
) -> None:
    olivia, maria = customers.premium.contacts
    customer_service.delete_contact(maria.id)
    assert customer_service.customer(customers.premium.id).contacts == (olivia,)
    with store.read() as tx:  # the row is flagged, not removed
        row = tx.session.execute(
            text("SELECT deleted FROM contacts WHERE id = :id"), {"id": maria.id}
        ).scalar_one()
    assert row == 1
    with pytest.raises(ValidationError) as excinfo:
        customer_service.edit_contact(maria.id, name="Maria R.")
    assert excinfo.value.errors == {"contact": "This contact is no longer on the list."}


def test_stale_support_list_flag(
    customer_service: CustomerService, customers: Customers, clock: FakeClock
) -> None:
    premium = customers.premium
    assert customer_service.is_stale(premium)  # never confirmed
    confirmed = customer_service.confirm_list(premium.id)
    assert confirmed.list_confirmed_at == clock.now()
    assert not customer_service.is_stale(confirmed)
    clock.advance(days=90)
    assert not customer_service.is_stale(confirmed)
    clock.advance(days=1)  # the default policy says 90 days
    assert customer_service.is_stale(confirmed)
    assert premium.id in [c.id for c in customer_service.stale_customers()]


# -- windows -------------------------------------------------------------------------------


@pytest.fixture
def window_service(
    store: SqliteStore, clock: FakeClock, team: Team, hlc: HybridLogicalClock
) -> CustomerService:
    """Support windows are policy data: a lead edits them."""
    return CustomerService(store, clock, team.lead, hlc)


def test_an_agent_can_neither_create_nor_change_a_window(
    store: SqliteStore, customer_service: CustomerService, window_service: CustomerService
) -> None:
    before = customer_service.windows()
    with pytest.raises(NotAllowed) as refused:
        customer_service.create_window("Berlin", "Mon-Fri 09:00-17:00", "Europe/Berlin")
    assert str(refused.value) == (
        "Sofia Alvarez is signed in as agent: only a lead or an admin may create a support window."
    )
    with pytest.raises(NotAllowed, match="only a lead or an admin may change a support window"):
        customer_service.edit_window(GMT, zone="Europe/London")
    assert customer_service.windows() == before  # GMT is still GMT, no Berlin
    berlin = window_service.create_window("Berlin", "Mon-Fri 09:00-17:00", "Europe/Berlin")
    assert berlin in customer_service.windows()  # the agent still reads and picks windows


def test_window_form_keeps_the_calendars_message(window_service: CustomerService) -> None:
    with pytest.raises(ValidationError) as excinfo:
        window_service.create_window(
            "Berlin",
            "Mon-Fri 09:00-25:00",
            "Europe/Berlinn",
            holidays=["2026-12-24", "24/12"],
            holiday_country="DE",
            holiday_subdivision="XX",
        )
    errors = excinfo.value.errors
    assert errors["zone"].startswith('"Europe/Berlinn" is not a known time zone')
    assert "25:00" in errors["hours"]
    assert errors["holidays[1]"] == '"24/12" is not a date (use YYYY-MM-DD).'
    assert errors["holiday_country"].startswith('"XX" is not a subdivision of DE')


def test_custom_window_and_editing_a_builtin_one(window_service: CustomerService) -> None:
    window = window_service.create_window(
        "Berlin extended",
        "Mon-Fri 08:00-18:00; Sat 10:00-14:00",
        "Europe/Berlin",
        holidays=[date(2026, 12, 24), "2026-12-31"],
        holiday_country="de",
        holiday_subdivision="by",
    )
    assert (window.holiday_country, window.holiday_subdivision) == ("DE", "BY")
    assert window.holidays == (date(2026, 12, 24), date(2026, 12, 31))
    assert not window.builtin

    london = window_service.edit_window(GMT, zone="Europe/London")
    assert (london.name, london.zone, london.builtin) == ("GMT", "Europe/London", True)
    with pytest.raises(ValidationError) as excinfo:
        window_service.edit_window(GMT, name="pacific")
    assert excinfo.value.errors == {"name": 'A window named "pacific" already exists.'}


# -- policy and roles ----------------------------------------------------------------------


def test_only_leads_and_admins_edit_the_policy(
    store: SqliteStore, clock: FakeClock, team: Team, hlc: HybridLogicalClock
) -> None:
    agent_view = PolicyService(store, clock, team.agent, hlc)
    _, policy = agent_view.current()
    with pytest.raises(NotAllowed) as excinfo:
        agent_view.save_policy(policy)
    assert str(excinfo.value) == (
        "Sofia Alvarez is signed in as agent: only a lead or an admin may change the support "
        "policy."
    )
    with pytest.raises(NotAllowed):
        agent_view.add_escalation_contact(1, "Dana", "Support manager", "dana@vendor.example")

    lead_view = PolicyService(store, clock, team.lead, hlc)
    text = policy.to_toml().replace("stale_after_days = 90", "stale_after_days = 30")
    saved = lead_view.save_policy(text)
    assert (saved.version, saved.author) == (2, "Marcus Webb")
    assert load_policy(saved.text).support_list_stale_days == 30
    assert [v.version for v in lead_view.versions()] == [1, 2]
    assert lead_view.save_policy(text) == saved  # unchanged text: no new version


def test_a_broken_policy_is_refused_with_its_key(policy_service: PolicyService) -> None:
    _, policy = policy_service.current()
    text = policy.to_toml().replace('P1 = { target = "15m"', 'P1 = { target = "soon"', 1)
    with pytest.raises(ValidationError) as excinfo:
        policy_service.save_policy(text)
    assert "soon" in excinfo.value.errors["policy"]
    assert [v.version for v in policy_service.versions()] == [1]


def test_new_incidents_follow_the_latest_policy_old_ones_keep_theirs(
    incidents: IncidentService,
    customers: Customers,
    policy_service: PolicyService,
    clock: FakeClock,
) -> None:
    old = incidents.open_incident(report(customers.premium))
    _, policy = policy_service.current()
    policy_service.save_policy(
        policy.to_toml().replace('P1 = { target = "15m"', 'P1 = { target = "30m"')
    )
    new = incidents.open_incident(report(customers.premium))
    assert (old.policy_version, new.policy_version) == (1, 2)
    assert new.first_response_due == clock.now() + timedelta(minutes=30)
    assert incidents.rebuild_projection(old.id).first_response_due == old.first_response_due


def test_escalation_contacts_crud_and_order(policy_service: PolicyService) -> None:
    svc = policy_service
    with pytest.raises(ValidationError) as excinfo:
        svc.add_escalation_contact(3, "", email="x@")
    assert set(excinfo.value.errors) == {"level", "name", "email"}

    dana = svc.add_escalation_contact(1, "Dana Fox", "Support manager", "dana@vendor.example")
    eli = svc.add_escalation_contact(1, "Eli Ward", "Deputy manager", phone="+44 20 7946 0555")
    head = svc.add_escalation_contact(2, "Kim Lee", "Head of support", "kim@vendor.example")
    assert eli.phone == "+442079460555"
    assert [c.name for c in svc.escalation_contacts(1)] == ["Dana Fox", "Eli Ward"]

    svc.move_escalation_contact_up(eli.id)
    assert [c.name for c in svc.escalation_contacts(1)] == ["Eli Ward", "Dana Fox"]
    svc.edit_escalation_contact(dana.id, role="Support director", level=2)
    assert [c.name for c in svc.escalation_contacts(2)] == ["Kim Lee", "Dana Fox"]
    svc.delete_escalation_contact(head.id)
    assert [c.name for c in svc.escalation_contacts()] == ["Eli Ward", "Dana Fox"]


def test_roles_when_registering_agents(
    store: SqliteStore, team: Team, hlc: HybridLogicalClock
) -> None:
    with pytest.raises(NotAllowed) as refused:
        AgentService(store, hlc, team.agent).register("New Person", Role.AGENT)
    assert "may register no one" in str(refused.value)
    with pytest.raises(NotAllowed):
        AgentService(store, hlc, team.lead).register("New Admin", Role.ADMIN)
    hired = AgentService(store, hlc, team.lead).register("New Agent", "agent")
    assert hired.role is Role.AGENT
    with pytest.raises(ValidationError) as excinfo:
        AgentService(store, hlc, team.admin).register("new agent", "boss", "n@")
    assert set(excinfo.value.errors) == {"name", "role", "email"}
