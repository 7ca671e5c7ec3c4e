"""Sync: the outbox, per-field clocks, conflicts, and the triggers that queue local writes.

Every insert or update of a synced table is queued in ``sync_outbox`` by a trigger, in the
writer's own transaction, once sync has been switched on (``sync_capture.enabled``) and while
no pulled change is being applied (``sync_capture.applying``). Records queue the fields that
changed with their values and the field clocks they replaced; append-only tables (events,
policy versions, attachments) queue only a reference, read when pushed. The field lists are
frozen here: a later migration that adds a column to a synced table, or rebuilds one (which
drops its triggers), must create that table's triggers again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORD_FIELDS: dict[str, tuple[str, ...]] = {
    "support_windows": (
        "name",
        "hours",
        "zone",
        "holidays",
        "holiday_country",
        "holiday_subdivision",
        "builtin",
        "deleted",
    ),
    "agents": ("name", "role", "email", "deleted"),
    "customers": (
        "name",
        "plan",
        "window_id",
        "csm_name",
        "csm_email",
        "csm_phone",
        "list_confirmed_at",
        "deleted",
    ),
    "contacts": ("customer_id", "name", "role", "emails", "phones", "rank", "deleted"),
    "escalation_contacts": ("level", "name", "role", "email", "phone", "rank", "deleted"),
}
# Append-only tables and the column holding their clock ('' when they have none).
APPEND_ONLY: dict[str, str] = {
    "policy_versions": "''",
    "attachments": "''",
    "incident_events": "NEW.hlc",
}

CAPTURING = "(SELECT enabled AND NOT applying FROM sync_capture WHERE id = 1)"
NEW_CHANGE_ID = "lower(hex(randomblob(16)))"
# An upsert, not INSERT OR REPLACE: inside a trigger SQLite lets the firing statement's own
# conflict handling override OR REPLACE. The clock a field had becomes its new base.
_KEEP_BASE = (
    "ON CONFLICT (entity, row_id, field) DO UPDATE"
    " SET base = sync_field_clocks.hlc, hlc = excluded.hlc"
)


def _clock_of(table: str, field: str) -> str:
    return (
        "COALESCE((SELECT c.hlc FROM sync_field_clocks c WHERE c.entity = "
        f"'{table}' AND c.row_id = NEW.id AND c.field = {field}), '')"
    )


def record_triggers(table: str, fields: Sequence[str]) -> list[str]:
    pairs = ", ".join(f"'{f}', NEW.{f}" for f in fields)
    names = ", ".join(f'"{f}"' for f in fields)
    insert = f"""
CREATE TRIGGER sync_{table}_insert AFTER INSERT ON {table} WHEN {CAPTURING}
BEGIN
    INSERT INTO sync_outbox (change_id, entity, row_id, hlc, fields, bases)
    VALUES ({NEW_CHANGE_ID}, '{table}', NEW.id, NEW.hlc, json_object({pairs}), '{{}}');
    INSERT INTO sync_field_clocks (entity, row_id, field, hlc, base)
    SELECT '{table}', NEW.id, f.value, NEW.hlc, '' FROM json_each('[{names}]') f WHERE true
    {_KEEP_BASE};
END"""
    changed = " UNION ALL ".join(
        f"SELECT '{f}' AS field, OLD.{f} IS NOT NEW.{f} AS changed, NEW.{f} AS value"
        for f in fields
    )
    update = f"""
CREATE TRIGGER sync_{table}_update AFTER UPDATE ON {table} WHEN {CAPTURING}
BEGIN
    INSERT INTO sync_outbox (change_id, entity, row_id, hlc, fields, bases)
    SELECT {NEW_CHANGE_ID}, '{table}', NEW.id, NEW.hlc, json_group_object(v.field, v.value),
           json_group_object(v.field, {_clock_of(table, "v.field")})
    FROM ({changed}) v WHERE v.changed HAVING count(*) > 0;
    INSERT INTO sync_field_clocks (entity, row_id, field, hlc, base)
    SELECT '{table}', NEW.id, v.field, NEW.hlc, '' FROM ({changed}) v WHERE v.changed
    {_KEEP_BASE};
END"""
    return [insert, update]


def append_only_trigger(table: str, clock: str) -> str:
    return f"""
CREATE TRIGGER sync_{table}_insert AFTER INSERT ON {table} WHEN {CAPTURING}
BEGIN
    INSERT INTO sync_outbox (change_id, entity, row_id, hlc, fields, bases)
    VALUES ({NEW_CHANGE_ID}, '{table}', NEW.id, {clock}, NULL, '{{}}');
END"""


def trigger_names() -> list[str]:
    names = [f"sync_{t}_{kind}" for t in RECORD_FIELDS for kind in ("insert", "update")]
    return names + [f"sync_{t}_insert" for t in APPEND_ONLY]


def upgrade() -> None:
    op.create_table(
        "sync_capture",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("applying", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "sync_outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("change_id", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.Text(), nullable=True),
        sa.Column("bases", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "sync_field_clocks",
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=False),
        sa.Column("base", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("entity", "row_id", "field"),
    )
    op.create_table(
        "sync_conflicts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("lost_value", sa.Text(), nullable=False),
        sa.Column("lost_hlc", sa.String(length=64), nullable=False),
        sa.Column("lost_author", sa.String(length=200), nullable=False),
        sa.Column("won_value", sa.Text(), nullable=False),
        sa.Column("won_hlc", sa.String(length=64), nullable=False),
        sa.Column("won_author", sa.String(length=200), nullable=False),
        sa.Column("noticed_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "sync_stash",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "sync_dirty",
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    op.execute("INSERT INTO sync_capture (id, enabled, applying) VALUES (1, 0, 0)")
    for table, fields in RECORD_FIELDS.items():
        for statement in record_triggers(table, fields):
            op.execute(statement)
    for table, clock in APPEND_ONLY.items():
        op.execute(append_only_trigger(table, clock))


def downgrade() -> None:
    for name in trigger_names():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("sync_dirty")
    op.drop_table("sync_stash")
    op.drop_table("sync_conflicts")
    op.drop_table("sync_field_clocks")
    op.drop_table("sync_outbox")
    op.drop_table("sync_capture")
