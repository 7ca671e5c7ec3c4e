"""The services one signed-in agent works with, assembled once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from console.domain.ids import HybridLogicalClock
from console.domain.records import Agent
from console.services.agents import AgentService
from console.services.customers import CustomerService
from console.services.escalations import EscalationService
from console.services.incidents import IncidentDetails, IncidentService
from console.services.open_incidents import OpenIncidentReader
from console.services.outbox import OutboxService, acknowledgement_text
from console.services.policy import PolicyService
from console.services.ports import Clock, Store
from console.services.review import ReviewService
from console.services.templates import TemplateService
from console.services.validation import ValidationError
from console.services.views import SavedViewService


class SystemClock:
    """The real clock. Tests and the demo pass their own."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class ConsoleContext:
    """What every screen receives in ``__init__`` (never imported as global state)."""

    store: Store
    clock: Clock
    actor: Agent
    workstation_id: str
    agent_zone: ZoneInfo
    db_path: str
    incidents: IncidentService
    customers: CustomerService
    policy: PolicyService
    agents: AgentService
    open_incidents: OpenIncidentReader  # the queue, wallboard, escalations, detail, notifier
    review: ReviewService  # history, attainment, reports
    escalations: EscalationService  # the escalation panel
    views: SavedViewService  # the queue's saved views
    outbox: OutboxService  # answers by email, their sending accounts (DESIGN §11)
    templates: TemplateService  # the team's mail templates (the compose boxes' "/")

    @classmethod
    def build(
        cls,
        store: Store,
        clock: Clock,
        actor: Agent,
        workstation_id: str,
        hlc: HybridLogicalClock,
        agent_zone: ZoneInfo,
        db_path: str,
    ) -> ConsoleContext:
        open_incidents = OpenIncidentReader(store, clock)
        incidents = IncidentService(store, clock, actor, workstation_id, hlc, zone=agent_zone)
        outbox = OutboxService(store, clock, incidents, actor)
        templates = TemplateService(store, clock, actor, hlc)

        def acknowledgement(details: IncidentDetails, level: int) -> str:
            """The team's "escalation acknowledged" template; the console's own words if it
            cannot render (a peer's template that no longer checks)."""
            try:
                return templates.render_body("escalation_acknowledged", details, agent_zone)
            except ValidationError:
                return acknowledgement_text(details, level)

        outbox.acknowledge_escalations(acknowledgement)
        outbox.notify_exclusions(
            lambda details: templates.render_body("exclusion_notice", details, agent_zone)
        )
        return cls(
            store=store,
            clock=clock,
            actor=actor,
            workstation_id=workstation_id,
            agent_zone=agent_zone,
            db_path=db_path,
            incidents=incidents,
            customers=CustomerService(store, clock, actor, hlc),
            policy=PolicyService(store, clock, actor, hlc),
            agents=AgentService(store, hlc, actor, clock),
            open_incidents=open_incidents,
            review=ReviewService(store, clock),
            escalations=EscalationService(store, open_incidents),
            views=SavedViewService(store, hlc, actor),
            outbox=outbox,
            templates=templates,
        )
