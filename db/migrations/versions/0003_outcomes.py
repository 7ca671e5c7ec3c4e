"""First-response outcomes in the projection: the deciding deadline, its priority and month.

The incidents table gains ``outcome_due`` (the deadline that decides the first response: for
a clock missed and then restarted by a priority change, the missed one), ``outcome_priority``
(the priority whose target set it) and ``outcome_month`` (its UTC month); attainment groups
by these, and its covering index is rebuilt over them.

Projections stored before this revision were computed under the old rule (resolving without
a response counted the first response as met), so they are stale. Re-deriving them needs the
domain (policy versions, calendars), which a migration must not import: this revision fills
the new columns with a best approximation from the old ones and leaves a ``meta`` flag
(``reproject_incidents``); the next start-up re-projects every incident from its events and
clears it (``console.services.reports.reproject_if_stale``). A database with no incidents
gets no flag.

``incidents`` is not a synced record table (0002 holds no triggers on it), so columns are
added in place (``ALTER TABLE … ADD COLUMN``) and no trigger needs creating again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPROJECT_KEY = "reproject_incidents"

OLD_INDEX = (
    "excluded",
    "opened_month",
    "priority",
    "plan",
    "first_response_met",
    "first_response_due",
)
NEW_INDEX = (
    "outcome_month",
    "outcome_priority",
    "plan",
    "excluded",
    "first_response_met",
    "outcome_due",
)


def upgrade() -> None:
    op.drop_index("ix_incidents_attainment", table_name="incidents")
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("outcome_due", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("outcome_priority", sa.String(length=8), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("outcome_month", sa.String(length=7), nullable=False, server_default="")
        )
    # Until the re-projection: the current deadline and priority (exact unless a priority
    # change restarted a missed clock; the old rule's "met" on resolving stays until then).
    op.execute(
        "UPDATE incidents SET outcome_due = first_response_due, outcome_priority = priority,"
        " outcome_month = COALESCE(substr(first_response_due, 1, 7), '')"
    )
    op.create_index("ix_incidents_attainment", "incidents", list(NEW_INDEX), unique=False)
    op.execute(
        f"INSERT INTO meta (key, value) SELECT '{REPROJECT_KEY}', '0003'"
        " WHERE EXISTS (SELECT 1 FROM incidents)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_attainment", table_name="incidents")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("outcome_month")
        batch.drop_column("outcome_priority")
        batch.drop_column("outcome_due")
    op.create_index("ix_incidents_attainment", "incidents", list(OLD_INDEX), unique=False)
    op.execute(f"DELETE FROM meta WHERE key = '{REPROJECT_KEY}'")
