"""Issue 15: mail templates on a real SQLite store. The shipped defaults render an incident's
details; a lead's own version replaces a default until it is reset; a misspelt placeholder
is refused when saving, naming the line and the known placeholders; the sandbox refuses
attribute tricks, calls and loops that would run away; agents may read but not change."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from jinja2.exceptions import SecurityError

from console.domain.records import Agent
from console.domain.templates import KEYS, RENDERED_MAX
from console.services.incidents import IncidentService
from console.services.templates import (
    _ENV,
    TemplateProblem,
    TemplateService,
    render_text,
    sample_context,
)
from console.services.validation import NotAllowed, ValidationError
from db.store import SqliteStore
from tests.services.conftest import Customers, FakeClock, Team, report

AGENT_ZONE = ZoneInfo("Europe/Berlin")


def service(store: SqliteStore, clock: FakeClock, actor: Agent) -> TemplateService:
    return TemplateService(store, clock, actor)


def test_the_six_defaults_are_listed_and_render_the_incidents_details(
    store: SqliteStore,
    clock: FakeClock,
    team: Team,
    customers: Customers,
    incidents: IncidentService,
) -> None:
    templates = service(store, clock, team.agent)
    listed = templates.list()
    assert [t.key for t in listed] == list(KEYS)
    assert [t.name for t in listed] == [
        "First response",
        "Status update",
        "Missing details",
        "Escalation acknowledged",
        "Exclusion notice",
        "Not on the support list",
    ]
    assert all(t.is_default for t in listed)

    opened = incidents.open_incident(report(customers.premium, affected=""))
    incidents.respond(opened.id, "Looking into it", "email", "olivia@northwind.example")
    details = incidents.details(opened.id)
    subject, body = templates.render("first_response", details, AGENT_ZONE)
    assert subject == ""  # empty: the outbox's threaded subject is used
    assert body.startswith("Dear Olivia Chen,\n")
    assert f"Checkout returns 502 ({opened.number})" in body
    assert "priority P1 (" in body
    assert body.rstrip().endswith("Sofia Alvarez")

    # The next update is due in the customer's window zone (Pacific) and in the agent's.
    due = details.clocks.status_update.deadline
    assert due is not None
    pacific = due.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%a %d %b %Y %H:%M %Z")
    berlin = due.astimezone(AGENT_ZONE).strftime("%a %d %b %Y %H:%M %Z")
    assert f"next status update by {pacific}." in body
    both = "{{ next_update_due }} / {{ next_update_due_agent }}"
    assert render_text(both, _context(templates, details)) == f"{pacific} / {berlin}"

    missing = templates.render("missing_details", details, AGENT_ZONE)[1]
    wanted = [label for key, label in details.missing_items if key != "vendor_ref"]
    assert wanted and all(f"\n- {label}\n" in missing for label in wanted)
    listed_csm = templates.render("escalation_acknowledged", details, AGENT_ZONE)[1]
    assert "Rachel Adeyemi (rachel@vendor.example)" in listed_csm


def _context(templates: TemplateService, details: object) -> dict[str, object]:
    from console.services.templates import details_context

    return details_context(details, "Sofia Alvarez", AGENT_ZONE)  # type: ignore[arg-type]


def test_a_leads_version_applies_until_reset_and_a_subject_carries_the_tag(
    store: SqliteStore,
    clock: FakeClock,
    team: Team,
    customers: Customers,
    incidents: IncidentService,
) -> None:
    lead = service(store, clock, team.lead)
    saved = lead.save(
        "status_update",
        "Update on {{ title }}",
        "Hi {{ contact_name }}, {{ customer_name }} is our priority.\n",
    )
    assert not saved.is_default and saved.author == "Marcus Webb"
    assert saved.updated_at == clock.now()
    opened = incidents.open_incident(report(customers.premium))
    details = incidents.details(opened.id)
    as_agent = service(store, clock, team.agent)
    assert as_agent.render("status_update", details, AGENT_ZONE) == (
        f"[{opened.number}] Update on Checkout returns 502",
        "Hi Olivia Chen, Northwind Freight is our priority.\n",
    )
    assert [t.is_default for t in as_agent.list()] == [True, False, True, True, True, True]

    default = lead.reset("status_update")
    assert default.is_default
    assert as_agent.get("status_update").body == default.body
    assert "Here is the latest on" in as_agent.render("status_update", details, AGENT_ZONE)[1]


def test_a_misspelt_placeholder_is_refused_naming_the_line_and_the_known_ones(
    store: SqliteStore, clock: FakeClock, team: Team
) -> None:
    lead = service(store, clock, team.lead)
    with pytest.raises(ValidationError) as caught:
        lead.save("first_response", "", "Hello\n\nDear {{ custmer }},\n")
    message = caught.value.errors["body"]
    assert message.startswith("line 3: 'custmer' is not a placeholder; known: customer_name,")
    assert "contact_name" in message
    with pytest.raises(ValidationError) as bad_subject:
        lead.save("first_response", "{% if %}", "Fine {{ title }}")
    assert bad_subject.value.errors["subject"].startswith("line 1: ")
    with pytest.raises(ValidationError) as two_lines:
        lead.save("first_response", "one\ntwo", "")
    assert two_lines.value.errors == {
        "subject": "the subject is one line",
        "body": "the body is empty",
    }
    assert lead.get("first_response").is_default  # nothing was saved


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{{ ''.__class__.__mro__ }}", "cannot be used in a mail template"),
        ("{{ title.__class__ }}", "'.__class__' cannot be used"),
        ("{{ title.upper() }}", "cannot be used in a mail template"),
        ("{% for i in range(99999999) %}x{% endfor %}", "a loop may only go over missing_items"),
        ("{{ range(99999999)|length }}", "calls such as range(…) cannot be used"),
        ("{{ 'x' * 999999999 }}", "arithmetic cannot be used"),
        ("{% set x = title %}{{ x }}", "{% set %} cannot be used"),
        ("{{ title|center(999999999) }}", "the filter 'center' is not available"),
        ("{% for c in title %}{% endfor %}", "a loop may only go over missing_items"),
        (
            "{% for a in missing_items %}{% for b in missing_items %}{% for c in missing_items %}"
            "{% endfor %}{% endfor %}{% endfor %}",
            "loops may nest at most 2 deep",
        ),
    ],
)
def test_the_sandbox_refuses_tricks_and_runaway_templates(text: str, words: str) -> None:
    with pytest.raises(TemplateProblem) as caught:
        render_text(text, sample_context())
    assert words in str(caught.value)


def test_the_sandbox_itself_refuses_attributes_and_output_is_bounded() -> None:
    # Below the tree checks, the environment itself reaches no attribute of any value.
    with pytest.raises(SecurityError):
        _ENV.from_string("{{ ''.__class__.__mro__ }}").render()
    # A loop that writes too much stops at the bound, in words.
    items = repr(list(range(50)))
    huge = (
        f"{{% for a in {items} %}}{{% for b in {items} %}}{'x' * 100}{{% endfor %}}{{% endfor %}}"
    )
    with pytest.raises(TemplateProblem, match=f"longer than {RENDERED_MAX:,} characters"):
        render_text(huge, sample_context())
    numbered = "{% for i in missing_items %}{{ loop.index }}. {{ i }}\n{% endfor %}"
    assert render_text(numbered, sample_context()) == (
        "1. Steps to reproduce\n2. Exact error message\n"
    )


def test_only_leads_and_admins_change_templates_and_agents_still_read(
    store: SqliteStore, clock: FakeClock, team: Team
) -> None:
    agent = service(store, clock, team.agent)
    assert not agent.may_edit()
    with pytest.raises(NotAllowed, match="Only a team lead or an admin"):
        agent.save("first_response", "", "Hi {{ contact_name }}")
    with pytest.raises(NotAllowed):
        agent.reset("first_response")
    admin = service(store, clock, team.admin)
    assert admin.may_edit()
    admin.save("exclusion_notice", "", "Not covered, {{ contact_name }}.")
    assert agent.get("exclusion_notice").body == "Not covered, {{ contact_name }}."
    with pytest.raises(ValidationError, match="no mail template"):
        admin.save("welcome", "", "Hi")


def test_a_stored_template_that_cannot_render_is_refused_in_words(
    store: SqliteStore,
    clock: FakeClock,
    team: Team,
    customers: Customers,
    incidents: IncidentService,
) -> None:
    from console.domain.templates import StoredTemplate

    # As a synced row from a peer could hold: never checked here before.
    with store.transaction() as tx:
        tx.templates.save(
            StoredTemplate("first_response", "", "{{ x.__class__ }}", None, "peer"),
            "1773162000000-00000-peer",
        )
    opened = incidents.open_incident(report(customers.standard, priority="P3"))
    details = incidents.details(opened.id)
    with pytest.raises(ValidationError) as caught:
        service(store, clock, team.agent).render("first_response", details, AGENT_ZONE)
    assert caught.value.errors["template"].startswith(
        "The “First response” template cannot be used: line 1:"
    )


def test_the_first_response_promises_the_update_the_policy_will_owe(
    store: SqliteStore,
    clock: FakeClock,
    team: Team,
    customers: Customers,
    incidents: IncidentService,
) -> None:
    templates = service(store, clock, team.agent)
    p1 = incidents.open_incident(report(customers.premium))  # P1: an update every hour, 24x7
    body = templates.render("first_response", incidents.details(p1.id), AGENT_ZONE)[1]
    due = (clock.now() + timedelta(hours=1)).astimezone(ZoneInfo("America/Los_Angeles"))
    assert f"next status update by {due:%a %d %b %Y %H:%M %Z}." in body
    p4 = incidents.open_incident(report(customers.standard, priority="P4", proposed_priority=""))
    body = templates.render("first_response", incidents.details(p4.id), AGENT_ZONE)[1]
    assert "We will keep you informed as we make progress." in body  # P4 owes no updates
    assert "by ." not in body
