"""Issue 14 under team sync, with ordinary member logins: a customer's reply threads onto its
incident on a workstation that never read the original mail, because the Message-IDs ride
with the synced events."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from console.domain.records import Role
from console.services.mail_intake import MailIntake, MailSource
from console.services.seed import builtin_window_id
from mail.parse import parse
from tests.sync.conftest import Login
from tests.sync.replicas import Replica, TrueTime

CORPUS = Path(__file__).resolve().parents[1] / "mail" / "corpus"


def take(replica: Replica, name: str, uid: int) -> str:
    intake = MailIntake(replica.store, replica.clock, replica.incidents, parse=parse)
    raw = (CORPUS / name).read_bytes()
    source = MailSource("support@vendor.example", 7, uid, replica.clock.now())
    return intake.take(parse(raw), source).line()


def test_a_reply_threads_on_a_workstation_that_never_read_the_original(
    replicas: Callable[..., Replica], login: Callable[..., Login], truth: TrueTime
) -> None:
    lead = login("mail_lead", "support", "lead")
    agent = login("mail_agent", "support", "agent")
    a = replicas("a", login=(lead.name, lead.password), role=Role.LEAD)
    b = replicas("b", login=(agent.name, agent.password), role=Role.AGENT)
    harbor = a.customers.create_customer("Harbor Logistics", "standard", builtin_window_id("gmt"))
    a.customers.add_contact(harbor.id, "Anna Berg", "IT lead", ["anna.berg@example.com"])
    for replica in (a, b, a, b):
        replica.sync()

    created = take(a, "new-report.eml", uid=1)  # the day shift's workstation reads the mail
    number = created.split()[1]
    a.sync()
    b.sync()
    truth.advance(hours=2)
    # The overnight machine reads the customer's reply to the console's thread.
    assert take(b, "reply-threaded.eml", uid=2) == f"threaded {number}"
    b.sync()
    a.sync()
    with a.store.read() as tx:
        [summary] = tx.incidents.open_incidents()  # one incident, not a second from the reply
    assert summary.number == number
    kinds = [e.kind.value for e in a.incidents.details(summary.id).events]
    assert kinds.count("customer_message") == 1
