"""Mail templates under team sync, on a real PostgreSQL with ordinary member logins: a lead's
version of a template reaches an agent's workstation and a reset follows it; an agent's
change to a template (written past the service, as a tampered console would) is refused by
the server naming the kind, and never reaches the lead's workstation; a replica refuses one
handed over from an agent all the same."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from console.domain.ids import HybridLogicalClock
from console.domain.records import Role
from console.domain.templates import StoredTemplate
from console.services.templates import TemplateService
from db.engine import open_database
from db.store import SqliteStore
from db.sync.backend import SqlSyncBackend
from db.sync.merge import Merger
from db.sync.transport import RemoteChange
from tests.sync.conftest import Login
from tests.sync.replicas import START, Replica

Make = Callable[..., Replica]
LoginMaker = Callable[..., Login]


def templates(replica: Replica) -> TemplateService:
    return TemplateService(replica.store, replica.clock, replica.agent, replica.hlc)


def set_aside(replica: Replica) -> list[str]:
    backend = SqlSyncBackend(
        replica.database, workstation_id=replica.workstation_id, hlc=replica.hlc
    )
    return backend.set_aside(50)


def test_a_leads_template_reaches_an_agent_and_a_reset_follows(
    replicas: Make, login: LoginMaker
) -> None:
    lead_login = login("tpl_lead", "support", "lead")
    agent_login = login("tpl_agent", "support", "agent")
    a = replicas("a", login=(lead_login.name, lead_login.password), role=Role.LEAD)
    b = replicas("b", login=(agent_login.name, agent_login.password), role=Role.AGENT)
    for replica in (a, b, a, b):
        replica.sync()
    body = "Dear {{ contact_name }},\n\nWe are on {{ incident_number }}.\n"
    templates(a).save("first_response", "About {{ title }}", body)
    a.sync()
    b.sync()
    arrived = templates(b).get("first_response")
    assert (arrived.is_default, arrived.subject, arrived.body) == (False, "About {{ title }}", body)
    assert arrived.author == a.agent.name

    templates(a).reset("first_response")
    a.sync()
    b.sync()
    assert templates(b).get("first_response").is_default
    assert set_aside(a) == set_aside(b) == []


def test_an_agents_template_is_refused_by_the_server_and_never_reaches_the_team(
    replicas: Make, login: LoginMaker
) -> None:
    lead_login = login("tpl_lead2", "support", "lead")
    agent_login = login("tpl_agent2", "support", "agent")
    a = replicas("a", login=(lead_login.name, lead_login.password), role=Role.LEAD)
    b = replicas("b", login=(agent_login.name, agent_login.password), role=Role.AGENT)
    for replica in (a, b, a, b):
        replica.sync()
    with b.store.transaction() as tx:  # past the service, which refuses an agent
        tx.templates.save(
            StoredTemplate("status_update", "", "Sneaky {{ title }}", None, "Mallory"),
            b.hlc.now(),
        )
    b.sync()
    refused = set_aside(b)
    assert len(refused) == 1
    assert "only a team lead or admin may change mail templates" in refused[0]
    assert b.client.pending() == 0
    a.sync()
    assert templates(a).get("status_update").is_default
    # The lead's own later change still travels after the refusal, and wins on the agent's.
    a.clock.truth.advance(minutes=1)
    templates(a).save("status_update", "", "From the lead {{ title }}")
    a.sync()
    b.sync()
    assert templates(b).get("status_update").body == "From the lead {{ title }}"


def test_a_replica_sets_aside_a_template_an_agent_pushed_and_keeps_a_leads(
    tmp_path: Path,
) -> None:
    """As a server from before v4, a restored backup or a hand-edited log could hand them over:
    the replica refuses the agent's row itself, and merges the lead's."""
    database = open_database(tmp_path / "r.sqlite3", backup=False)
    try:
        fields = {"subject": "", "body": "Hi {{ title }}", "updated_at": "", "author": "Eve"}
        rows = [
            ("first_response", "eve", "agent"),
            ("status_update", "lee", "lead"),
        ]
        with database.transaction() as session:
            connection = session.connection()
            connection.exec_driver_sql("UPDATE sync_capture SET applying = 1")
            merger = Merger(connection, "ws-here", "Me", START)
            for seq, (key, member, role) in enumerate(rows, start=1):
                merger.apply(
                    RemoteChange(
                        seq=seq,
                        workstation="ws-x",
                        author="Eve",
                        entity="mail_templates",
                        row_id=key,
                        hlc="1773162000000-00000-ws-x",
                        fields={**fields, "deleted": 0},
                        bases={},
                        member=member,
                        member_role=role,
                    )
                )
            merger.finish()
            connection.exec_driver_sql("UPDATE sync_capture SET applying = 0")
        backend = SqlSyncBackend(database, workstation_id="ws-here", hlc=HybridLogicalClock("h"))
        assert [(item.seq, item.reason) for item in backend.quarantined(10)] == [
            (1, "only a team lead or admin may change mail templates; eve is an agent")
        ]
        store = SqliteStore(database)
        with store.read() as tx:
            assert [t.key for t in tx.templates.list()] == ["status_update"]
    finally:
        database.close()
