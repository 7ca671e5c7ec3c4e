"""Issue 15: a response by email counts when the mail server accepted it (DESIGN §3), and a
mail given up on leaves the response unmet; the explanation says both instants."""

from __future__ import annotations

from console.domain.clocks import ClockState
from console.domain.events import EventKind
from console.domain.explain import explain
from console.domain.outcomes import Outcome, first_response
from tests.domain.test_clocks import LA, M, Story, t

MAIL = {"message_id": "<a1@console.vendor.example>", "to": ["ops@harbor.example"]}


def emailed(story: Story, at_hhmm: str) -> Story:
    return story.then(
        EventKind.RESPONDED,
        t(LA, "2026-06-09", at_hhmm),
        text="We are on it.",
        channel="email",
        recipient="ops@harbor.example",
        mail=MAIL,
    )


def test_an_emailed_response_counts_when_the_server_accepted_it() -> None:
    # Premium P1: 15 minutes from 10:00. Sent at 10:10, accepted at 10:14: met, at 10:14.
    story = emailed(Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1"), "10:10")
    waiting = story.at(t(LA, "2026-06-09", "10:12")).first_response
    assert waiting.state is ClockState.AT_RISK  # still running while the mail waits
    assert waiting.queued_at == t(LA, "2026-06-09", "10:10")
    assert any("waits in the outbox" in line for line in explain(waiting, LA))
    story.then(
        EventKind.MAIL_SENT,
        t(LA, "2026-06-09", "10:14"),
        message_id=MAIL["message_id"],
        recipients=MAIL["to"],
    )
    fr = story.at(t(LA, "2026-06-09", "11:00")).first_response
    assert fr.state is ClockState.MET
    assert fr.stopped_at == t(LA, "2026-06-09", "10:14") and fr.margin == M
    assert fr.sent_at == t(LA, "2026-06-09", "10:10")
    said = explain(fr, LA)[-1]
    assert "sent by the agent at Tue 09 Jun 2026 10:10 PDT" in said
    assert "accepted by the mail server at Tue 09 Jun 2026 10:14 PDT" in said
    # The status-update clock starts at the acceptance, not at the composing.
    clocks = story.at(t(LA, "2026-06-09", "11:00"))
    assert clocks.status_update.started_at == t(LA, "2026-06-09", "10:14")


def test_a_mail_accepted_after_the_deadline_misses_it_though_sent_in_time() -> None:
    story = emailed(Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1"), "10:10")
    story.then(EventKind.MAIL_SENT, t(LA, "2026-06-09", "10:40"), message_id=MAIL["message_id"])
    fr = story.at(t(LA, "2026-06-09", "11:00")).first_response
    assert fr.state is ClockState.MISSED
    assert "accepted by the mail server only at" in explain(fr, LA)[-1]


def test_a_mail_that_finally_failed_leaves_the_response_unmet() -> None:
    story = emailed(Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1"), "10:10")
    story.then(
        EventKind.MAIL_FAILED,
        t(LA, "2026-06-09", "10:11"),
        message_id=MAIL["message_id"],
        error="550 5.1.1 mailbox unavailable",
    )
    # A late acceptance of the same mail (a confused server) changes nothing after a failure.
    story.then(EventKind.MAIL_SENT, t(LA, "2026-06-09", "10:12"), message_id=MAIL["message_id"])
    clocks = story.at(t(LA, "2026-06-09", "11:00"))
    assert clocks.first_response.state is ClockState.BREACHED
    assert clocks.first_response.queued_at is None
    assert clocks.responded_at is None
    assert first_response(clocks).outcome is Outcome.MISSED  # its deadline passed unanswered


def test_a_response_recorded_by_phone_still_counts_when_recorded() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "10:10"), channel="phone")
    fr = story.at(t(LA, "2026-06-09", "11:00")).first_response
    assert fr.state is ClockState.MET and fr.sent_at is None


def test_resolving_right_after_an_emailed_response_still_counts_it_when_accepted() -> None:
    story = emailed(Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1"), "10:10")
    story.then(EventKind.RESOLVED, t(LA, "2026-06-09", "10:11"), text="Fixed.")
    waiting = story.at(t(LA, "2026-06-09", "10:12")).first_response
    assert waiting.queued_at == t(LA, "2026-06-09", "10:10")  # not missed: the mail is on its way
    story.then(EventKind.MAIL_SENT, t(LA, "2026-06-09", "10:13"), message_id=MAIL["message_id"])
    clocks = story.at(t(LA, "2026-06-09", "11:00"))
    assert clocks.status.value == "resolved"
    assert clocks.first_response.state is ClockState.MET
    assert clocks.first_response.stopped_at == t(LA, "2026-06-09", "10:13")
    assert first_response(clocks).outcome is Outcome.MET


def test_resolving_with_an_emailed_response_that_then_fails_misses_at_the_resolve() -> None:
    story = emailed(Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1"), "10:10")
    story.then(EventKind.RESOLVED, t(LA, "2026-06-09", "10:11"), text="Fixed.")
    story.then(EventKind.MAIL_FAILED, t(LA, "2026-06-09", "10:12"), message_id=MAIL["message_id"])
    fr = story.at(t(LA, "2026-06-09", "11:00")).first_response
    assert fr.state is ClockState.MISSED and fr.stopped_at == t(LA, "2026-06-09", "10:11")
