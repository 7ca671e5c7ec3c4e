"""Search prefixes: the full-text index keeps every word's first two and three letters.

A short prefix ("lo", "ti") used to merge the lists of every word it starts (thousands at a
million incidents) before the first row could be read; with ``prefix='2 3'`` FTS5 keeps one
list per two- and three-letter prefix and reads it newest first, like a whole word. An FTS5
table cannot gain prefixes in place: this builds ``incident_fts_new`` with them, copies
every row of the old index into it in rowid batches (its content table holds exactly what
was indexed: number, title and the search text the projection wrote), drops the old one and
renames the new one. Downgrade does the same the other way.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from collections.abc import Sequence

from alembic import context, op
from sqlalchemy import text

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'"
BATCH = 50_000


def _rebuild(options: str) -> None:
    op.execute("DROP TABLE IF EXISTS incident_fts_new")
    op.execute(f"CREATE VIRTUAL TABLE incident_fts_new USING fts5(number, title, body, {options})")
    copy = (
        "INSERT INTO incident_fts_new (rowid, number, title, body)"
        " SELECT rowid, number, title, body FROM incident_fts"
    )
    if context.is_offline_mode():  # a script for someone else to run: one statement
        op.execute(copy)
    else:
        connection = op.get_bind()
        top = connection.execute(text("SELECT max(rowid) FROM incident_fts")).scalar() or 0
        for first in range(0, int(top) + 1, BATCH):
            connection.execute(
                text(f"{copy} WHERE rowid >= :first AND rowid < :last"),
                {"first": first, "last": first + BATCH},
            )
    op.execute("DROP TABLE incident_fts")
    op.execute("ALTER TABLE incident_fts_new RENAME TO incident_fts")


def upgrade() -> None:
    _rebuild(f"{TOKENIZE}, prefix = '2 3'")


def downgrade() -> None:
    _rebuild(TOKENIZE)
