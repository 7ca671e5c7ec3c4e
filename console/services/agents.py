"""The people who use the console, their roles (agent, lead, admin) and who may grant them.

Roles are granted, not claimed. The first person to sign up on a new database becomes its
admin; after that a newcomer signs up only as an agent, and an admin grants lead or admin,
changes a role, deactivates or reactivates an agent. Each change is recorded with who made it
and when (``AgentRepository.record_change``, append-only in the database itself).

Signing in as a lead or an admin needs that person's passphrase: set when the role is granted,
or chosen at their first sign-in when none is on record (the first admin, or leads the demo
registered). Passphrases are hashed with scrypt (a random salt per passphrase, parameters kept
with the hash) and compared in constant time; the hash lives in this database's local access
table, never in the synced ``agents`` table, and never in clear.

Team sync seam: with team sync on, the server's roles decide (the sync issue). A service built
with ``server_decides=True`` refuses every local grant, change and deactivation and says so;
the composition root passes it once sync can carry roles. Nothing here talks to the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from console.domain.ids import HybridLogicalClock, new_id
from console.domain.records import Agent, Role
from console.services import validation as v
from console.services.ports import AgentAccess, AgentChange, Clock, Store, Transaction
from console.services.validation import Errors, NotAllowed, ValidationError
from console.services.workstation import AGENT_KEY

PASSPHRASE_MIN = 8
PASSPHRASE_MAX = 1024

# scrypt: 2**15 × 8 × 128 bytes = 32 MiB per hash, about 0.1 s; within OWASP's guidance.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_SALT = 16
SCRYPT_LENGTH = 32
_SCRYPT_MAXMEM = 64 * 1024 * 1024

# Recorded actions (``AgentChange.action``).
ADDED = "added"
ROLE_CHANGED = "role changed"
DEACTIVATED = "deactivated"
REACTIVATED = "reactivated"
PASSPHRASE_SET = "passphrase set"
SIGN_IN_REFUSED = "sign-in refused"

SERVER_DECIDES = "Team sync is on: roles are granted on the team server, not at this workstation."


class _UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _passphrase_bytes(passphrase: str) -> bytes:
    """The passphrase as NFC-normalised UTF-8, or ValueError in words."""
    text = unicodedata.normalize("NFC", passphrase)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("The passphrase contains a character that cannot be stored.") from None


def hash_passphrase(passphrase: str) -> str:
    """``scrypt$N$r$p$salt$digest`` (base64) for a new random salt."""
    salt = secrets.token_bytes(SCRYPT_SALT)
    digest = hashlib.scrypt(
        _passphrase_bytes(passphrase),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=_SCRYPT_MAXMEM,
        dklen=SCRYPT_LENGTH,
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_passphrase(passphrase: str, stored: str) -> bool:
    """True when ``passphrase`` gives ``stored``'s digest; constant time in the digest."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest, validate=True)
        actual = hashlib.scrypt(
            _passphrase_bytes(passphrase),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_SCRYPT_MAXMEM,
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def check_new_passphrase(passphrase: str) -> str:
    """A passphrase fit to be set, or ValueError in words."""
    _passphrase_bytes(passphrase)
    if len(passphrase) < PASSPHRASE_MIN:
        raise ValueError(f"Choose a passphrase of at least {PASSPHRASE_MIN} characters.")
    if len(passphrase) > PASSPHRASE_MAX:
        raise ValueError(f"A passphrase is at most {PASSPHRASE_MAX} characters.")
    if not passphrase.strip():
        raise ValueError("A passphrase cannot be only spaces.")
    return passphrase


def needs_passphrase(role: Role) -> bool:
    return role in (Role.LEAD, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class AgentAccount:
    """An agent as the sign-in and Agents dialogs show them."""

    agent: Agent
    active: bool
    has_passphrase: bool

    @property
    def needs_passphrase(self) -> bool:
        return needs_passphrase(self.agent.role)


class AgentService:
    """Agents and their roles. ``actor`` None is the composition root (demo, tests, seeding):
    trusted code that may register anyone. People sign up with :meth:`sign_up`.

    Through an actor: an admin registers and grants anyone; a lead registers agents; an
    agent no one. The actor's role is read again from the store for every change, so a
    demotion elsewhere counts at once.
    """

    def __init__(
        self,
        store: Store,
        hlc: HybridLogicalClock,
        actor: Agent | None = None,
        clock: Clock | None = None,
        *,
        server_decides: bool = False,
    ) -> None:
        self._store = store
        self._hlc = hlc
        self._actor = actor
        self._clock: Clock = clock or _UtcClock()
        self._server_decides = server_decides

    # -- reading ----------------------------------------------------------------------------

    def agents(self) -> list[Agent]:
        with self._store.read() as tx:
            return tx.agents.list()

    def agent(self, agent_id: str) -> Agent:
        with self._store.read() as tx:
            return self._agent(tx, agent_id)

    def accounts(self) -> list[AgentAccount]:
        """Every registered agent with whether they may sign in and have a passphrase."""
        with self._store.read() as tx:
            return [self._account(tx, a) for a in tx.agents.list()]

    def account(self, agent_id: str) -> AgentAccount:
        with self._store.read() as tx:
            return self._account(tx, self._agent(tx, agent_id))

    def changes(self, agent_id: str | None = None) -> tuple[AgentChange, ...]:
        """The record of who changed whose access, oldest first."""
        with self._store.read() as tx:
            return tx.agents.changes(agent_id)

    @property
    def may_manage(self) -> bool:
        """Whether the actor may grant roles and deactivate agents here (for the screens)."""
        return (
            not self._server_decides and self._actor is not None and self._actor.role is Role.ADMIN
        )

    # -- signing up and in ------------------------------------------------------------------

    def sign_up(self, name: str, email: str = "", passphrase: str = "") -> Agent:
        """A newcomer registers themselves: the first person on a new database becomes its
        admin (and must choose a passphrase); everyone after registers as an agent."""
        with self._store.transaction() as tx:
            first = not tx.agents.list()
            role = Role.ADMIN if first else Role.AGENT
            errors = Errors()
            clean_name = errors.check("name", lambda: v.name(name))
            clean_email = errors.check("email", lambda: v.optional_email(email))
            hashed = ""
            if first:  # the database's admin from now on
                chosen = errors.check("passphrase", lambda: check_new_passphrase(passphrase))
                hashed = hash_passphrase(chosen) if chosen is not None else ""
            self._check_unique(tx, clean_name, errors)
            errors.raise_if_any()
            assert clean_name is not None and clean_email is not None
            agent = Agent(id=new_id(), name=clean_name, role=role, email=clean_email)
            tx.agents.save(agent, self._hlc.now())
            self._record(
                tx,
                agent.id,
                ADDED,
                f"signed up as {role.value}"
                + (" (the first person on this database)" if first else ""),
                by=agent,
            )
            if hashed:
                tx.agents.set_access(AgentAccess(agent.id, hashed), self._clock.now())
                self._record(tx, agent.id, PASSPHRASE_SET, "chosen at sign-up", by=agent)
            return agent

    def sign_in(self, agent_id: str, passphrase: str = "") -> Agent:
        """The agent, once allowed to sign in: active, and for a lead or an admin with their
        passphrase. A lead or admin with no passphrase on record chooses it now.

        Raises NotAllowed (deactivated) or ValidationError on ``passphrase``; a refused
        attempt is recorded and signs no one in.
        """
        refused: Exception | None = None
        with self._store.transaction() as tx:
            agent = self._agent(tx, agent_id)
            access = tx.agents.access(agent.id)
            if not access.active:
                self._record(tx, agent.id, SIGN_IN_REFUSED, "deactivated", by=agent)
                refused = NotAllowed(
                    f"{agent.name} has been deactivated and cannot sign in; ask an admin."
                )
            elif needs_passphrase(agent.role) and not access.passphrase_hash:
                clean = ValidationError.wrap("passphrase", lambda: check_new_passphrase(passphrase))
                tx.agents.set_access(
                    replace(access, passphrase_hash=hash_passphrase(clean)), self._clock.now()
                )
                self._record(tx, agent.id, PASSPHRASE_SET, "chosen at first sign-in", by=agent)
            elif needs_passphrase(agent.role) and not passphrase:
                refused = ValidationError.single(
                    "passphrase", f"Signing in as {agent.role.value} needs your passphrase."
                )
            elif needs_passphrase(agent.role) and not verify_passphrase(
                passphrase, access.passphrase_hash
            ):
                self._record(tx, agent.id, SIGN_IN_REFUSED, "wrong passphrase", by=agent)
                refused = ValidationError.single(
                    "passphrase", f"That is not {agent.name}'s passphrase."
                )
        if refused is not None:
            raise refused  # after the commit, so the refused attempt stays recorded
        return agent

    def sign_out(self) -> None:
        """Shift handover: this database no longer remembers who is at the workstation, so
        the next start (or the switch) asks who is here."""
        with self._store.transaction() as tx:
            tx.meta.set(AGENT_KEY, "")

    # -- registering and granting -----------------------------------------------------------

    def register(
        self, name: str, role: Role | str = Role.AGENT, email: str = "", passphrase: str = ""
    ) -> Agent:
        """Add an agent. Through an actor, a lead or admin needs a passphrase now (the admin
        tells it to them); the composition root may leave it for their first sign-in."""
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
        hashed = ""
        if passphrase or (self._actor is not None and needs_passphrase(clean_role)):
            chosen = errors.check("passphrase", lambda: check_new_passphrase(passphrase))
            hashed = hash_passphrase(chosen) if chosen is not None else ""
        with self._store.transaction() as tx:
            self._check_may_grant(tx, clean_role, "register")
            self._check_unique(tx, clean_name, errors)
            errors.raise_if_any()
            assert clean_name is not None and clean_email is not None
            agent = Agent(id=new_id(), name=clean_name, role=clean_role, email=clean_email)
            tx.agents.save(agent, self._hlc.now())
            self._record(tx, agent.id, ADDED, f"registered as {clean_role.value}")
            if hashed:
                tx.agents.set_access(AgentAccess(agent.id, hashed), self._clock.now())
                self._record(tx, agent.id, PASSPHRASE_SET, "set when registered")
            return agent

    def change_role(self, agent_id: str, role: Role | str, passphrase: str = "") -> Agent:
        """An admin grants lead or admin (with the person's passphrase, unless they have one)
        or changes a role back to agent. The last active admin keeps their role."""
        try:
            new_role = Role(role)
        except ValueError:
            raise ValidationError.single("role", f'"{role}" is not a role.') from None
        with self._store.transaction() as tx:
            self._require_admin(tx, f"make someone {new_role.value}")
            agent = self._agent(tx, agent_id)
            access = tx.agents.access(agent.id)
            if agent.role is new_role:
                return agent
            if agent.role is Role.ADMIN:
                self._keep_an_admin(tx, agent, f"change {agent.name}'s role")
            hashed = access.passphrase_hash
            if passphrase or (needs_passphrase(new_role) and not hashed):
                clean = ValidationError.wrap("passphrase", lambda: check_new_passphrase(passphrase))
                hashed = hash_passphrase(clean)
            changed = replace(agent, role=new_role)
            tx.agents.save(changed, self._hlc.now())
            self._record(tx, agent.id, ROLE_CHANGED, f"{agent.role.value} → {new_role.value}")
            if hashed != access.passphrase_hash:
                tx.agents.set_access(replace(access, passphrase_hash=hashed), self._clock.now())
                self._record(tx, agent.id, PASSPHRASE_SET, f"set when made {new_role.value}")
            return changed

    def deactivate(self, agent_id: str) -> AgentAccount:
        """An admin stops someone signing in; their name stays on the history they made."""
        with self._store.transaction() as tx:
            self._require_admin(tx, "deactivate an agent")
            agent = self._agent(tx, agent_id)
            assert self._actor is not None
            if agent.id == self._actor.id:
                raise NotAllowed("You cannot deactivate yourself; ask another admin.")
            access = tx.agents.access(agent.id)
            if access.active:
                if agent.role is Role.ADMIN:
                    self._keep_an_admin(tx, agent, f"deactivate {agent.name}")
                tx.agents.set_access(replace(access, active=False), self._clock.now())
                self._record(tx, agent.id, DEACTIVATED, "may no longer sign in")
            return self._account(tx, agent)

    def reactivate(self, agent_id: str) -> AgentAccount:
        with self._store.transaction() as tx:
            self._require_admin(tx, "reactivate an agent")
            agent = self._agent(tx, agent_id)
            access = tx.agents.access(agent.id)
            if not access.active:
                tx.agents.set_access(replace(access, active=True), self._clock.now())
                self._record(tx, agent.id, REACTIVATED, "may sign in again")
            return self._account(tx, agent)

    def set_passphrase(self, agent_id: str, passphrase: str) -> None:
        """Your own passphrase, or (as an admin) anyone's."""
        actor = self._actor
        with self._store.transaction() as tx:
            if actor is None or actor.id != agent_id:
                self._require_admin(tx, "set someone else's passphrase")
            agent = self._agent(tx, agent_id)
            clean = ValidationError.wrap("passphrase", lambda: check_new_passphrase(passphrase))
            access = tx.agents.access(agent.id)
            tx.agents.set_access(
                replace(access, passphrase_hash=hash_passphrase(clean)), self._clock.now()
            )
            self._record(tx, agent.id, PASSPHRASE_SET, "changed")

    # -- rules ------------------------------------------------------------------------------

    def _current_actor(self, tx: Transaction) -> Agent | None:
        """The actor as the store has them now (a role changed elsewhere counts)."""
        if self._actor is None:
            return None
        current = tx.agents.get(self._actor.id)
        if current is None or not tx.agents.access(current.id).active:
            raise NotAllowed(f"{self._actor.name} is no longer an active agent here.")
        return current

    def _require_admin(self, tx: Transaction, action: str) -> Agent:
        if self._server_decides:
            raise NotAllowed(SERVER_DECIDES)
        actor = self._current_actor(tx)
        if actor is None:
            raise NotAllowed(f"Only a signed-in admin may {action}.")
        if actor.role is not Role.ADMIN:
            raise NotAllowed(
                f"{actor.name} is signed in as {actor.role.value}: only an admin may {action}."
            )
        return actor

    def _check_may_grant(self, tx: Transaction, role: Role, verb: str) -> None:
        if self._server_decides:
            raise NotAllowed(SERVER_DECIDES)
        actor = self._current_actor(tx)
        if actor is None or actor.role is Role.ADMIN:
            return
        if actor.role is Role.LEAD and role is Role.AGENT:
            return
        allowed = "agents" if actor.role is Role.LEAD else "no one"
        raise NotAllowed(
            f"{actor.name} is signed in as {actor.role.value} and may {verb} {allowed}; "
            f"ask an admin to {verb} a new {role.value}."
        )

    @staticmethod
    def _keep_an_admin(tx: Transaction, agent: Agent, action: str) -> None:
        others = [
            a
            for a in tx.agents.list()
            if a.role is Role.ADMIN and a.id != agent.id and tx.agents.access(a.id).active
        ]
        if not others:
            raise NotAllowed(
                f"{agent.name} is the only active admin: make someone else admin before you "
                f"{action}."
            )

    @staticmethod
    def _check_unique(tx: Transaction, name: str | None, errors: Errors) -> None:
        if name and any(a.name.casefold() == name.casefold() for a in tx.agents.list()):
            errors.add("name", f'An agent named "{name}" is already registered.')

    @staticmethod
    def _agent(tx: Transaction, agent_id: str) -> Agent:
        agent = tx.agents.get(agent_id)
        if agent is None:
            raise ValidationError.single("agent", "This agent is not registered.")
        return agent

    @staticmethod
    def _account(tx: Transaction, agent: Agent) -> AgentAccount:
        access = tx.agents.access(agent.id)
        return AgentAccount(agent, access.active, bool(access.passphrase_hash))

    def _record(
        self, tx: Transaction, agent_id: str, action: str, detail: str, by: Agent | None = None
    ) -> None:
        actor = by or self._actor
        tx.agents.record_change(
            AgentChange(
                at=self._clock.now(),
                actor_id=actor.id if actor else "",
                actor_name=actor.name if actor else "(set-up)",
                agent_id=agent_id,
                action=action,
                detail=detail,
            )
        )
