"""The mail outbox and the SMTP accounts it sends through (DESIGN §11 "Out").

Both tables are local to this database: an outbound mail is sent by the workstation (or the
``mail watch``) that queued it; what its sending did to the incident travels with sync as
events (``mail_sent``, ``mail_failed``). The outbox row keeps the composed bytes, so a retry
sends exactly what was queued, under the Message-ID minted when it was.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_smtp_accounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("security", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=320), nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("from_name", sa.String(length=200), nullable=False),
        sa.Column("ca_file", sa.Text(), nullable=False),
        sa.Column("sent_mailbox_id", sa.String(length=36), nullable=False),
        sa.Column("sent_folder", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=1000), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("mail", sa.Text(), nullable=False),  # JSON: the OutboundMail's fields
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.String(length=32), nullable=False),
        sa.Column("next_attempt_at", sa.String(length=32), nullable=True),
        sa.Column("last_attempt_at", sa.String(length=32), nullable=True),
        sa.Column("sent_at", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("refused", sa.Text(), nullable=False),  # JSON list
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_mail_outbox_due", "mail_outbox", ["state", "next_attempt_at"])
    op.create_index("ix_mail_outbox_incident", "mail_outbox", ["incident_id", "queued_at"])


def downgrade() -> None:
    op.drop_index("ix_mail_outbox_incident", table_name="mail_outbox")
    op.drop_index("ix_mail_outbox_due", table_name="mail_outbox")
    op.drop_table("mail_outbox")
    op.drop_table("mail_smtp_accounts")
