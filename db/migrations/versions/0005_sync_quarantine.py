"""Sync against a member who is not trusted: a quarantine, and conflicts that name the login.

``sync_quarantine`` keeps the changes this workstation set aside instead of merging them: a
pulled change it cannot merge (its fields are not an object, its clock is malformed, it is a
kind of record this console does not know, applying it failed) or that a non-lead wrote to a
lead-only kind of record, and a pushed change the server refused. Each row says why in words
and keeps the change as it came (JSON), so the team's sync never stops on one bad row.

``sync_conflicts`` gains ``lost_member`` and ``won_member``: the server login (its
``session_user``) that pushed each side, when known, beside the self-declared author.

Neither table is synced (no triggers), so ``sync_conflicts`` gains its columns in place
(``ALTER TABLE … ADD COLUMN``) and no trigger needs creating again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-12
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEMBER_COLUMNS = ("lost_member", "won_member")


def upgrade() -> None:
    op.create_table(
        "sync_quarantine",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),  # the server's; NULL: refused at push
        sa.Column("change_id", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("row_id", sa.String(length=64), nullable=False),
        sa.Column("member", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("noticed_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_sync_quarantine_seq", "sync_quarantine", ["seq"], unique=True)
    for name in MEMBER_COLUMNS:
        op.add_column(
            "sync_conflicts",
            sa.Column(name, sa.String(length=64), nullable=False, server_default=""),
        )


def downgrade() -> None:
    with op.batch_alter_table("sync_conflicts") as batch:
        for name in reversed(MEMBER_COLUMNS):
            batch.drop_column(name)
    op.drop_index("ix_sync_quarantine_seq", table_name="sync_quarantine")
    op.drop_table("sync_quarantine")
