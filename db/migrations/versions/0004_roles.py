"""Roles granted, not claimed: local credentials, an audit of role changes, frozen history.

``agent_credentials`` holds, per agent, whether they may sign in here and the KDF hash of a
lead's or admin's passphrase (never the passphrase). ``agent_audit`` records who added an
agent, changed a role, deactivated someone or set a passphrase, and when. Both are local to
this database: they are not synced tables (0002 holds no triggers on them), and with team
sync on the server's roles decide (see ``console.services.agents``). The synced ``agents``
table is left as 0002 froze it.

``incident_events`` becomes append-only in the database itself: triggers refuse UPDATE and
DELETE with "incident history cannot be changed", and an insert of an event already present
is skipped (so ``INSERT OR REPLACE`` cannot swap one). ``agent_audit`` gets the same guard.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table → the message its UPDATE and DELETE triggers abort with
FROZEN: dict[str, str] = {
    "incident_events": "incident history cannot be changed",
    "agent_audit": "the record of role changes cannot be changed",
}


TRIGGER_KINDS = ("update", "delete", "replace")


def frozen_triggers(table: str, message: str) -> list[str]:
    """UPDATE and DELETE abort. ``INSERT OR REPLACE`` of a present row would delete it
    without firing the DELETE trigger (recursive triggers are off), so an insert of an id
    already present is skipped instead (RAISE(IGNORE)), as ``ON CONFLICT DO NOTHING`` and
    ``INSERT OR IGNORE`` (the repository's and the sync merge's ways) already do."""
    return [
        *(
            f"CREATE TRIGGER {table}_no_{kind.lower()} BEFORE {kind} ON {table}"
            f" BEGIN SELECT RAISE(ABORT, '{message}'); END"
            for kind in ("UPDATE", "DELETE")
        ),
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table}"
        f" WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id)"
        " BEGIN SELECT RAISE(IGNORE); END",
    ]


def upgrade() -> None:
    op.create_table(
        "agent_credentials",
        sa.Column("agent_id", sa.String(length=36), nullable=False),
        sa.Column("passphrase_hash", sa.Text(), nullable=False, server_default=""),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("changed_at", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("agent_id"),
    )
    op.create_table(
        "agent_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("agent_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_agent_audit_agent", "agent_audit", ["agent_id", "id"], unique=False)
    for table, message in FROZEN.items():
        for statement in frozen_triggers(table, message):
            op.execute(statement)


def downgrade() -> None:
    for table in FROZEN:
        for kind in TRIGGER_KINDS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{kind}")
    op.drop_index("ix_agent_audit_agent", table_name="agent_audit")
    op.drop_table("agent_audit")
    op.drop_table("agent_credentials")
