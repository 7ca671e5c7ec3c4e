"""The people who use the console and their roles (agent, lead, admin)."""

from __future__ import annotations

from console.domain.ids import HybridLogicalClock, new_id
from console.domain.records import Agent, Role
from console.services import validation as v
from console.services.ports import Store
from console.services.validation import Errors, NotAllowed, ValidationError


class AgentService:
    """Registers agents. ``actor`` None is the composition root (first start, demo, tests).

    An admin may register anyone, a lead may register agents and leads, an agent no one.
    """

    def __init__(self, store: Store, hlc: HybridLogicalClock, actor: Agent | None = None) -> None:
        self._store = store
        self._hlc = hlc
        self._actor = actor

    def agents(self) -> list[Agent]:
        with self._store.read() as tx:
            return tx.agents.list()

    def agent(self, agent_id: str) -> Agent:
        with self._store.read() as tx:
            agent = tx.agents.get(agent_id)
        if agent is None:
            raise ValidationError.single("agent", "This agent is not registered.")
        return agent

    def register(self, name: str, role: Role | str = Role.AGENT, email: str = "") -> Agent:
        errors = Errors()
        clean_name = errors.check("name", lambda: v.name(name))
        clean_email = errors.check("email", lambda: v.optional_email(email))
        try:
            clean_role = Role(role)
        except ValueError:
            errors.add(
                "role", f'"{role}" is not a role (one of: {", ".join(r.value for r in Role)}).'
            )
            clean_role = Role.AGENT
        self._check_may_grant(clean_role)
        with self._store.transaction() as tx:
            if clean_name and any(
                a.name.casefold() == clean_name.casefold() for a in tx.agents.list()
            ):
                errors.add("name", f'An agent named "{clean_name}" is already registered.')
            errors.raise_if_any()
            assert clean_name is not None and clean_email is not None
            agent = Agent(id=new_id(), name=clean_name, role=clean_role, email=clean_email)
            tx.agents.save(agent, self._hlc.now())
            return agent

    def _check_may_grant(self, role: Role) -> None:
        actor = self._actor
        if actor is None or actor.role is Role.ADMIN:
            return
        if actor.role is Role.LEAD and role is not Role.ADMIN:
            return
        allowed = "agents and leads" if actor.role is Role.LEAD else "no one"
        raise NotAllowed(
            f"{actor.name} is signed in as {actor.role.value} and may register {allowed}; "
            f"ask an admin to register a new {role.value}."
        )
