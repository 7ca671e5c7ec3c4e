"""Roles under sync: an agent's lead-only changes are refused by the server and set aside
on her own workstation (never jamming her outbox), while a lead's arrive everywhere; replicas
refuse such rows from an agent too, even when the server's log holds them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from console.domain.records import Role
from db.sync.backend import SqlSyncBackend
from tests.sync.conftest import Server
from tests.sync.replicas import Replica

Make = Callable[..., Replica]


def test_an_agent_member_cannot_change_lead_only_records_and_a_lead_still_can(
    replicas: Make, server: Server
) -> None:
    cluster = server.cluster
    cluster.create_role("quarantine_agent", "agent-pass")
    cluster.create_role("quarantine_lead", "lead-pass")
    with psycopg.connect(server.conninfo, autocommit=True) as connection:
        for member, role in (("quarantine_agent", "agent"), ("quarantine_lead", "lead")):
            connection.execute("SELECT console_sync.set_member('support', %s, %s)", (member, role))
    lead = replicas("lead", login=("quarantine_lead", "lead-pass"))
    agent = replicas("agent", login=("quarantine_agent", "agent-pass"), role=Role.LEAD)
    watcher = replicas("watcher")
    for replica in (lead, agent, watcher, lead, agent, watcher):
        replica.sync()
    # What her database held when she joined (the built-in records every database seeds) is
    # not sent as hers, so she does not start with a list of refusals.
    joined = len(_quarantined(agent))
    assert joined == 0
    window = agent.customers.windows()[0]
    before = watcher.customers.window(window.id)
    # The agent's own console lets her (its local role says lead): the server must not.
    agent.customers.edit_window(window.id, name="Agent's Hours")
    agent.policy.save_policy(agent.policy.current()[1].to_toml().replace("15", "16", 1))
    with agent.database.transaction() as session:
        session.connection().exec_driver_sql(
            "UPDATE agents SET role = 'admin', hlc = ? WHERE id = ?",
            (agent.hlc.now(), agent.agent.id),
        )
    agent.customers.create_customer("Allowed Customer", "premium", window.id)
    agent.sync()
    assert agent.client.pending() == 0  # the outbox does not jam on refused changes
    refused = _quarantined(agent)[: len(_quarantined(agent)) - joined]  # newest first
    assert all(item.seq is None for item in refused)  # refused at push, not pulled
    assert sorted(item.reason for item in refused) == [
        "only a team lead or admin may change agents and their roles",
        "only a team lead or admin may change support windows",
        "only a team lead or admin may change the policy",
    ]
    lead.customers.edit_window(window.id, hours="Mon-Fri 08:00-18:00")
    lead.sync()
    watcher.sync()
    agent.sync()
    seen = watcher.customers.window(window.id)
    assert seen.name == before.name  # the agent's rename never arrived
    assert seen.hours == "Mon-Fri 08:00-18:00"  # the lead's change did
    assert agent.customers.window(window.id).hours == "Mon-Fri 08:00-18:00"
    assert [v.version for v in watcher.policy.versions()] == [1]
    roles = {a.id: a.role for a in watcher_agents(watcher)}
    assert roles.get(agent.agent.id) is not Role.ADMIN  # she did not make herself admin
    assert any(c.name == "Allowed Customer" for c in watcher.customers.customers())


def _quarantined(replica: Replica) -> list[Any]:
    backend = SqlSyncBackend(
        replica.database, workstation_id=replica.workstation_id, hlc=replica.hlc
    )
    return backend.quarantined(50)


def watcher_agents(replica: Replica) -> list[Any]:
    from console.services.agents import AgentService

    return AgentService(replica.store, replica.hlc).agents()
