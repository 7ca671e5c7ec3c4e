"""Who really wrote a pulled event: the server records the login that pushed it, and every
other replica's timeline names that login beside the name the writing console gave.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import psycopg
from pytestqt.qtbot import QtBot

from console.ui.incident.timeline import TimelineModel
from tests.services.conftest import report
from tests.sync.conftest import Server
from tests.sync.replicas import Replica
from tests.sync.test_merge import customer_on


def test_a_pulled_event_names_the_login_that_pushed_it_not_only_the_name_it_claims(
    replicas: Callable[..., Replica], server: Server, qtbot: QtBot
) -> None:
    server.cluster.create_role("author_sofia", "sofia-pass")
    with psycopg.connect(server.conninfo, autocommit=True) as connection:
        connection.execute("SELECT console_sync.set_member('support', 'author_sofia', 'agent')")
    writer = replicas("writer", login=("author_sofia", "sofia-pass"))
    reader = replicas("reader")
    customer = customer_on(reader)
    reader.sync()
    writer.sync()
    opened = writer.incidents.open_incident(report(customer))
    writer.incidents.note(opened.id, "Looking into it")
    writer.sync()
    reader.sync()

    details = reader.incidents.details(opened.id)

    claimed = {e.author for e in details.events}
    assert claimed == {writer.agent.name}  # what the writing console said
    assert set(details.pushed_by) == {e.id for e in details.events}
    assert set(details.pushed_by.values()) == {"author_sofia"}  # who the server knew
    model = TimelineModel(ZoneInfo("UTC"))
    model.set_events(details.events, pushed_by=details.pushed_by)
    who = model.data(model.index(0, TimelineModel.WHO))
    assert who == f"{writer.agent.name} (server login author_sofia)"
    # The writer's own timeline shows its own events as written here: no login to add.
    assert writer.incidents.details(opened.id).pushed_by == {}
