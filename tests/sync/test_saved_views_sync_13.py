"""Saved views under team sync, on a real PostgreSQL with ordinary member logins: a lead's
shared view reaches an agent's workstation, a private one is not listed there, a delete
follows, and an agent (not only a lead) may push a view of their own."""

from __future__ import annotations

from collections.abc import Callable

from console.domain.records import Role
from console.domain.views import ViewFilter
from console.services.views import SavedViewService
from db.sync.backend import SqlSyncBackend
from db.sync.transport import PgTransport
from tests.sync.conftest import Login
from tests.sync.replicas import Replica

Make = Callable[..., Replica]
LoginMaker = Callable[..., Login]

AT_RISK = ViewFilter(unassigned=True, priorities=("P1", "P2"), states=("at_risk", "breached"))


def views(replica: Replica) -> SavedViewService:
    return SavedViewService(replica.store, replica.hlc, replica.agent)


def listed(replica: Replica) -> list[tuple[str, bool, ViewFilter]]:
    return [(v.name, v.shared, v.filter) for v in views(replica).views()]


def set_aside(replica: Replica) -> list[str]:
    backend = SqlSyncBackend(
        replica.database, workstation_id=replica.workstation_id, hlc=replica.hlc
    )
    return backend.set_aside(50)


def test_a_shared_view_travels_a_private_one_stays_unlisted_and_a_delete_follows(
    replicas: Make, login: LoginMaker
) -> None:
    lead_login = login("views_lead", "support", "lead")
    agent_login = login("views_agent", "support", "agent")
    a = replicas("a", login=(lead_login.name, lead_login.password), role=Role.LEAD)
    b = replicas("b", login=(agent_login.name, agent_login.password), role=Role.AGENT)
    for replica in (a, b, a, b):
        replica.sync()
    shared = views(a).save("Unassigned P1–P2 at risk", AT_RISK, shared=True)
    views(a).save("Mine, breached", ViewFilter(mine=True, states=("breached",)), shared=False)
    a.sync()
    b.sync()
    assert listed(b) == [("Unassigned P1–P2 at risk", True, AT_RISK)]
    assert views(b).views()[0].owner_id == a.agent.id
    assert [name for name, *_ in listed(a)] == ["Mine, breached", "Unassigned P1–P2 at risk"]

    # The lead renames it; the agent's copy follows.
    views(a).save("P1–P2 at risk", AT_RISK, shared=True, view_id=shared.id)
    a.sync()
    b.sync()
    assert [name for name, *_ in listed(b)] == ["P1–P2 at risk"]

    views(a).delete(shared.id)
    a.sync()
    b.sync()
    assert listed(b) == []
    assert [name for name, *_ in listed(a)] == ["Mine, breached"]
    assert set_aside(a) == set_aside(b) == []


def test_an_agent_may_push_a_saved_view_and_the_team_sees_it(
    replicas: Make, login: LoginMaker
) -> None:
    lead_login = login("views_lead2", "support", "lead")
    agent_login = login("views_agent2", "support", "agent")
    a = replicas("a", login=(lead_login.name, lead_login.password), role=Role.LEAD)
    b = replicas("b", login=(agent_login.name, agent_login.password), role=Role.AGENT)
    for replica in (a, b, a, b):
        replica.sync()
    mine = ViewFilter(mine=True, text="vpn", sort_column="priority")
    made = views(b).save("My VPN incidents", mine, shared=True)
    b.sync()
    assert b.client.pending() == 0
    assert set_aside(b) == []  # the server took it from an agent: saved views are not lead-only
    a.sync()
    assert listed(a) == [("My VPN incidents", True, mine)]
    # The agent unshares it: it leaves the lead's list, and stays in the agent's.
    views(b).save("My VPN incidents", mine, shared=False, view_id=made.id)
    b.sync()
    a.sync()
    assert listed(a) == []
    assert listed(b) == [("My VPN incidents", False, mine)]
    assert set_aside(a) == set_aside(b) == []


def test_a_hostile_members_saved_view_arrives_as_a_plain_view_and_sync_goes_on(
    replicas: Make, login: LoginMaker
) -> None:
    lead_login = login("views_lead3", "support", "lead")
    mallory = login("views_mallory", "support", "agent")
    a = replicas("a", login=(lead_login.name, lead_login.password), role=Role.LEAD)
    a.sync()
    hostile = {
        "id": "hostile_view_1",
        "cseq": 1,
        "entity": "saved_views",
        "row": "hv1",
        "hlc": "1773162000000-00000-mallory_ws",
        "fields": {
            "name": "Look at me " * 100,
            "owner_id": "mallory",
            "shared": 1,
            "filter": '{"states": {"$where": "1"}, "text": ' + "[" * 3000,
            "deleted": 0,
        },
        "bases": {},
    }
    transport = PgTransport(mallory.conninfo)
    try:
        assert transport.push("support", "mallory_ws", "Mallory", [hostile]).refused == ()
    finally:
        transport.close()
    a.sync()
    shown = views(a).views()
    assert [(v.id, len(v.name), v.filter) for v in shown] == [("hv1", 60, ViewFilter())]
    assert shown[0].name.startswith("Look at me Look at me")
    # A view of her own still saves and travels.
    views(a).save("After the attack", AT_RISK, shared=True)
    a.sync()
    assert a.client.pending() == 0
    assert [v.name for v in views(a).views()] == ["After the attack", shown[0].name]
