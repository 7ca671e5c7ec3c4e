"""Mail templates: the team's own versions of the canned responses (DESIGN §11).

``mail_templates`` holds one row per template a team lead has saved, keyed by the template's
key ("first_response"); without a row the shipped default applies, and "Reset to default" is
the row's ``deleted`` flag. It is a synced record table (lead-only under sync): its triggers
queue local writes in ``sync_outbox`` exactly as 0002's do for the other record tables; the
generator is copied from 0008 (a migration never imports another), so a later change there
cannot alter what this revision created.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "mail_templates"
FIELDS = ("subject", "body", "updated_at", "author", "deleted")

CAPTURING = "(SELECT enabled AND NOT applying FROM sync_capture WHERE id = 1)"
NEW_CHANGE_ID = "lower(hex(randomblob(16)))"
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
    """0002's record triggers, as 0002 makes them (copied: see the module's docstring)."""
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


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for statement in record_triggers(TABLE, FIELDS):
        op.execute(statement)


def downgrade() -> None:
    for kind in ("insert", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS sync_{TABLE}_{kind}")
    for bookkeeping in ("sync_outbox", "sync_field_clocks", "sync_stash"):
        op.execute(f"DELETE FROM {bookkeeping} WHERE entity = '{TABLE}'")
    op.drop_table(TABLE)
