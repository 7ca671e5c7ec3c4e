"""Email intake: the ledger of every message looked at, its raw bytes, the Message-IDs
replies thread by, the Inbox of held messages, and the mailboxes read (DESIGN §11).

All five tables are local to this database: no sync triggers. Two workstations importing
the same mailbox still make one incident per message, because an incident opened from a
mail takes a name-based id of (mailbox, Message-ID), and so do its events.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_ledger",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mailbox", sa.String(length=200), nullable=False),
        sa.Column("ledger_id", sa.String(length=1000), nullable=False),
        sa.Column("uidvalidity", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("received_at", sa.String(length=32), nullable=False),
        sa.Column("imported_at", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_mail_ledger_message", "mail_ledger", ["mailbox", "ledger_id"], unique=True)
    op.create_index("ix_mail_ledger_uid", "mail_ledger", ["mailbox", "uidvalidity", "uid"])
    op.create_index("ix_mail_ledger_sender", "mail_ledger", ["sender", "received_at"])
    op.create_table(
        "mail_raw",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "mail_message_ids",
        sa.Column("message_id", sa.String(length=1000), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("recorded_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("message_id"),
    )
    op.create_table(
        "mail_held",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mailbox", sa.String(length=200), nullable=False),
        sa.Column("ledger_id", sa.String(length=1000), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("sender_name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("received_at", sa.String(length=32), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_mail_held_message", "mail_held", ["mailbox", "ledger_id"], unique=True)
    op.create_index("ix_mail_held_status", "mail_held", ["status", "received_at"])
    op.create_table(
        "mail_mailboxes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=320), nullable=False),
        sa.Column("folder", sa.String(length=200), nullable=False),
        sa.Column("after", sa.String(length=8), nullable=False),
        sa.Column("move_to", sa.String(length=200), nullable=False),
        sa.Column("ca_file", sa.Text(), nullable=False),
        sa.Column("starttls", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("uidvalidity", sa.Integer(), nullable=False),
        sa.Column("last_uid", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("mail_mailboxes")
    op.drop_index("ix_mail_held_status", table_name="mail_held")
    op.drop_index("ix_mail_held_message", table_name="mail_held")
    op.drop_table("mail_held")
    op.drop_table("mail_message_ids")
    op.drop_table("mail_raw")
    op.drop_index("ix_mail_ledger_sender", table_name="mail_ledger")
    op.drop_index("ix_mail_ledger_uid", table_name="mail_ledger")
    op.drop_index("ix_mail_ledger_message", table_name="mail_ledger")
    op.drop_table("mail_ledger")
