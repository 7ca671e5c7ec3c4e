"""Reading clocks: each incident replayed under the policy and terms that governed it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.domain.clock_model import ClockState
from console.services.clock_reader import ClockReader
from console.services.customers import CustomerService
from console.services.incidents import IncidentService
from console.services.policy import PolicyService
from console.services.seed import builtin_window_id
from db.store import SqliteStore
from tests.services.conftest import Customers, FakeClock, report


def test_each_incident_counts_under_the_policy_and_terms_it_opened_with(
    store: SqliteStore,
    incidents: IncidentService,
    customers: Customers,
    customer_service: CustomerService,
    policy_service: PolicyService,
    clock: FakeClock,
) -> None:
    old = incidents.open_incident(report(customers.premium))  # P1: 15 min to respond
    _, policy = policy_service.current()
    policy_service.save_policy(
        policy.to_toml().replace('P1 = { target = "15m"', 'P1 = { target = "30m"')
    )
    customer_service.edit_customer(customers.premium.id, plan="standard", csm_name="", csm_email="")
    new = incidents.open_incident(report(customers.premium, priority="P1"))
    clock.advance(timedelta(minutes=20))
    with store.read() as tx:
        reader = ClockReader(tx)
        old_clocks = reader.clocks(old, clock.now())
        new_clocks = reader.clocks(new, clock.now())
    assert old_clocks.plan == "premium_plus"
    assert old_clocks.first_response.deadline == old.opened_at + timedelta(minutes=15)
    assert old_clocks.first_response.state is ClockState.BREACHED
    assert new_clocks.plan == "standard"
    assert new_clocks.first_response.state is not ClockState.BREACHED


def test_an_incident_without_recorded_terms_uses_the_customers_current_ones(
    store: SqliteStore, customers: Customers, customer_service: CustomerService
) -> None:
    customer_service.edit_customer(
        customers.standard.id, plan="advanced", window_id=builtin_window_id("pacific")
    )
    with store.read() as tx:
        reader = ClockReader(tx)
        terms = reader.terms([], customers.standard.id)
        assert (terms.plan, terms.window_name) == ("advanced", "Pacific")
        with pytest.raises(LookupError, match="no-such-customer"):
            reader.terms([], "no-such-customer")
