"""Who this workstation is and who sits at it, remembered in the database itself.

The agent is remembered per database (not in the workstation's settings file), so opening the
demo database or a colleague's copy never signs in someone that database does not know.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.domain.ids import HybridLogicalClock, new_id
from console.domain.records import Agent
from console.services.ports import Store

WORKSTATION_KEY = "workstation.id"
AGENT_KEY = "workstation.agent_id"
HLC_KEY = "workstation.hlc"


@dataclass(frozen=True, slots=True)
class Workstation:
    id: str
    hlc: HybridLogicalClock


def workstation(store: Store) -> Workstation:
    """This database's workstation id (made on first use) and a clock that never runs back:
    it starts past the reading saved at the last clean exit and past every stamp stored since
    (a peer's pulled events included), so a crash never lets a new event sort before them."""
    with store.transaction() as tx:
        ws_id = tx.meta.get(WORKSTATION_KEY)
        if not ws_id:
            ws_id = new_id()
            tx.meta.set(WORKSTATION_KEY, ws_id)
        last = tx.meta.get(HLC_KEY)
        held = tx.meta.highest_stamp()
    clock = HybridLogicalClock(ws_id, last=last)
    if held:  # killed before the clock was saved: still pass every stamp already stored
        clock.observe(held)
    return Workstation(ws_id, clock)


def remember_clock(store: Store, hlc: HybridLogicalClock) -> None:
    """Keep the clock's reading so a workstation whose wall clock went back stays monotonic."""
    with store.transaction() as tx:
        tx.meta.set(HLC_KEY, hlc.now())


def signed_in_agent(store: Store) -> Agent | None:
    with store.read() as tx:
        agent_id = tx.meta.get(AGENT_KEY)
        return tx.agents.get(agent_id) if agent_id else None


def remember_agent(store: Store, agent: Agent) -> None:
    with store.transaction() as tx:
        tx.meta.set(AGENT_KEY, agent.id)
