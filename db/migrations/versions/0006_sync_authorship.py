"""Who really pushed each pulled event, and indexes on the stored clock stamps.

``sync_event_members`` keeps, for every incident event pulled from the team's server, the
server login that pushed it (the server records ``session_user``; an event's own ``author``
is only what the writing console says). The timeline names both. Local to this database:
not a synced table, no triggers.

A workstation killed without a clean exit has not saved its hybrid logical clock; on the next
start the clock must still pass every stamp this database holds (its own events, a peer's
events it pulled, records, field clocks), or a new event could replay before ones its user
already saw. ``max(hlc)`` over the new indexes is a lookup, not a scan of every event.
``incident_events`` and ``sync_field_clocks`` carry no sync triggers a rebuild could lose:
the indexes are added in place.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_event_members",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("member", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_events_hlc", "incident_events", ["hlc"])
    op.create_index("ix_field_clocks_hlc", "sync_field_clocks", ["hlc"])


def downgrade() -> None:
    op.drop_index("ix_field_clocks_hlc", table_name="sync_field_clocks")
    op.drop_index("ix_events_hlc", table_name="incident_events")
    op.drop_table("sync_event_members")
