"""An index for each customer's past incidents, most recently resolved first.

The Customers screen lists a customer's resolved and excluded incidents newest first, a page
at a time; ``(customer_id, resolved_at)`` gives that order without reading and sorting every
incident the customer ever had. The projection table carries no sync triggers: the index is
added in place.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_incidents_customer_resolved", "incidents", ["customer_id", "resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_customer_resolved", table_name="incidents")
