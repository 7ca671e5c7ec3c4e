"""A new database gets the built-in support windows and policy version 1 (idempotent)."""

from __future__ import annotations

import uuid

from console.domain.ids import HybridLogicalClock
from console.domain.policy import DEFAULT_POLICY_PATH, load_policy
from console.domain.records import PolicyVersion, SupportWindow
from console.services.ports import Clock, Store

SYSTEM_AUTHOR = "Support Console"
_NAMESPACE = uuid.UUID("5b7c1f0e-3d4a-4c8e-9a51-6f2d8e0b7a13")


def builtin_window_id(policy_window_id: str) -> str:
    """The same id on every workstation, so seeded windows merge instead of duplicating."""
    return str(uuid.uuid5(_NAMESPACE, f"window:{policy_window_id}"))


def seed_defaults(store: Store, clock: Clock, hlc: HybridLogicalClock) -> bool:
    """Insert what a new database lacks; returns True when anything was added."""
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    policy = load_policy(text)
    added = False
    with store.transaction() as tx:
        if tx.policies.latest() is None:
            tx.policies.add(
                PolicyVersion(
                    id=str(uuid.uuid5(_NAMESPACE, "policy:1")),
                    version=1,
                    text=text,
                    created_at=clock.now(),
                    author=SYSTEM_AUTHOR,
                )
            )
            added = True
        for spec in policy.windows:
            window_id = builtin_window_id(spec.id)
            if tx.windows.get(window_id) is not None:
                continue
            window = SupportWindow(
                id=window_id,
                name=spec.name,
                hours=spec.hours,
                zone=spec.zone,
                holidays=spec.holidays,
                holiday_country=spec.holiday_country,
                holiday_subdivision=spec.holiday_subdivision,
                builtin=True,
            )
            tx.windows.save(window, hlc.now())
            added = True
    return added
