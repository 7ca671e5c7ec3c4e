"""Initial schema: customers, support lists, windows, policy versions, agents, incidents.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS_CREATE = (
    "CREATE VIRTUAL TABLE incident_fts USING fts5("
    "number, title, body, tokenize = 'unicode61 remove_diacritics 2')"
)


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("added_at", sa.String(length=32), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_attachments_incident_id"), "attachments", ["incident_id"], unique=False
    )
    op.create_table(
        "escalation_contacts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("rank", sa.String(length=64), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "incident_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_events_incident_at", "incident_events", ["incident_id", "at"], unique=False)
    op.create_table(
        "incidents",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("proposed_priority", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.String(length=32), nullable=False),
        sa.Column("opened_month", sa.String(length=7), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("plan", sa.String(length=32), nullable=False),
        sa.Column("assignee_id", sa.String(length=36), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("next_deadline", sa.String(length=32), nullable=True),
        sa.Column("first_response_due", sa.String(length=32), nullable=True),
        sa.Column("first_response_at", sa.String(length=32), nullable=True),
        sa.Column("first_response_met", sa.Boolean(), nullable=True),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.Column("resolved_at", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index(
        "ix_incidents_customer", "incidents", ["customer_id", "opened_at"], unique=False
    )
    op.create_index("ix_incidents_opened", "incidents", ["opened_at"], unique=False)
    op.create_index(
        "ix_incidents_attainment",
        "incidents",
        [
            "excluded",
            "opened_month",
            "priority",
            "plan",
            "first_response_met",
            "first_response_due",
        ],
        unique=False,
    )
    op.create_index(
        "ix_incidents_status_deadline", "incidents", ["status", "next_deadline"], unique=False
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version"),
    )
    op.create_table(
        "support_windows",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("hours", sa.String(length=500), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("holidays", sa.Text(), nullable=False),
        sa.Column("holiday_country", sa.String(length=8), nullable=False),
        sa.Column("holiday_subdivision", sa.String(length=16), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("plan", sa.String(length=32), nullable=False),
        sa.Column("window_id", sa.String(length=36), nullable=False),
        sa.Column("csm_name", sa.String(length=200), nullable=False),
        sa.Column("csm_email", sa.String(length=320), nullable=False),
        sa.Column("csm_phone", sa.String(length=40), nullable=False),
        sa.Column("list_confirmed_at", sa.String(length=32), nullable=True),
        sa.Column("hlc", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["support_windows.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_customers_name"), "customers", ["name"], unique=False)
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("emails", sa.Text(), nullable=False),
        sa.Column("phones", sa.Text(), nullable=False),
        sa.Column("rank", sa.String(length=64), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contacts_customer_rank", "contacts", ["customer_id", "rank"], unique=False)
    op.execute(FTS_CREATE)


def downgrade() -> None:
    op.execute("DROP TABLE incident_fts")
    op.drop_index("ix_contacts_customer_rank", table_name="contacts")
    op.drop_table("contacts")
    op.drop_index(op.f("ix_customers_name"), table_name="customers")
    op.drop_table("customers")
    op.drop_table("support_windows")
    op.drop_table("policy_versions")
    op.drop_table("meta")
    op.drop_index("ix_incidents_status_deadline", table_name="incidents")
    op.drop_index("ix_incidents_opened", table_name="incidents")
    op.drop_index("ix_incidents_attainment", table_name="incidents")
    op.drop_index("ix_incidents_customer", table_name="incidents")
    op.drop_table("incidents")
    op.drop_index("ix_events_incident_at", table_name="incident_events")
    op.drop_table("incident_events")
    op.drop_table("escalation_contacts")
    op.drop_index(op.f("ix_attachments_incident_id"), table_name="attachments")
    op.drop_table("attachments")
    op.drop_table("agents")
