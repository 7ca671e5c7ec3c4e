"""The services' :class:`~console.services.sync.SyncBackend`, on SQLite and PostgreSQL.

A session is one :class:`SyncClient` (push/pull connection) plus one :class:`Listener`
(LISTEN connection), both opened on the worker thread that uses them; the SQLite side goes
through the app's :class:`Database`, one short transaction at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from console.domain.ids import HybridLogicalClock
from console.services.sync import (
    SyncConflict,
    SyncRefused,
    SyncRound,
    SyncTarget,
    Waker,
    who,
)
from db.engine import Database
from db.models import UtcDateTime
from db.sync import tables
from db.sync.client import (
    SETTINGS_KEY,
    Rebuild,
    SetAside,
    SyncClient,
    enable_capture,
    last_sync,
    quarantine_count,
    quarantined,
    read_meta,
    write_meta,
)
from db.sync.tables import origin
from db.sync.transport import Listener, PgTransport, ServerInfo, conninfo, where

_utc = UtcDateTime()


def written_by(stamp: str, author: str, member: str) -> str:
    """'workstation ABCDE, Sofia Alvarez (signed in to the server as sofia)': the author and
    workstation are what the writer's console declared; the login is who the server says
    really pushed it (unknown for changes from before server v2, and for values held here)."""
    declared = who(origin(stamp), author)
    return f"{declared} (signed in to the server as {member})" if member else declared


#: The server schema this console needs: v2 records who pushed, enforces roles, validates;
#: v3 accepts saved views; v4 mail templates (from leads and admins only).
SERVER_VERSION = 4


class SqlSyncSession:
    def __init__(self, client: SyncClient, listener: Listener, info: ServerInfo) -> None:
        self.client = client
        self._listener = listener
        self._info = info

    @property
    def identity(self) -> tuple[str, str]:
        return self._info.member, self._info.role

    def sync_once(self) -> SyncRound:
        return self.client.sync()

    def has_local_changes(self) -> bool:
        return self.client.has_pending()

    def wait_for_news(self, timeout: float, waker: Waker) -> bool:
        return self._listener.wait(timeout, waker)

    def close(self) -> None:
        self.client.transport.close()
        self._listener.close()


class SqlSyncBackend:
    def __init__(
        self,
        database: Database,
        *,
        workstation_id: str,
        hlc: HybridLogicalClock,
        author: str = "",
        rebuild: Rebuild | None = None,
    ) -> None:
        self.database = database
        self._workstation = workstation_id
        self._hlc = hlc
        self._author = author
        self._rebuild = rebuild

    # -- settings and state -----------------------------------------------------------------

    def load_settings(self) -> dict[str, str] | None:
        with self.database.read() as session:
            text = read_meta(session.connection(), SETTINGS_KEY)
        return json.loads(text) if text else None

    def save_settings(self, values: dict[str, str] | None) -> None:
        with self.database.transaction() as session:
            connection = session.connection()
            if values is None:
                connection.exec_driver_sql("DELETE FROM meta WHERE key = ?", (SETTINGS_KEY,))
            else:
                write_meta(connection, SETTINGS_KEY, json.dumps(values, sort_keys=True))

    def enable(self) -> None:
        enable_capture(self.database)

    def pending_count(self) -> int:
        with self.database.read() as session:
            count = session.connection().exec_driver_sql("SELECT count(*) FROM sync_outbox")
            return int(count.scalar() or 0)

    def last_sync(self) -> datetime | None:
        return last_sync(self.database)

    def conflict_count(self) -> int:
        with self.database.read() as session:
            count = session.connection().exec_driver_sql("SELECT count(*) FROM sync_conflicts")
            return int(count.scalar() or 0)

    def quarantine_count(self) -> int:
        """Changes set aside: refused by the server, or impossible to merge here."""
        with self.database.read() as session:
            return quarantine_count(session.connection())

    def quarantined(self, limit: int = 20) -> list[SetAside]:
        """The latest ``limit`` changes set aside, newest first, each with its reason."""
        with self.database.read() as session:
            return quarantined(session.connection(), limit)

    def set_aside(self, limit: int) -> list[str]:
        return [item.describe() for item in self.quarantined(limit)]

    def conflicts(self, limit: int) -> list[SyncConflict]:
        with self.database.read() as session:
            connection = session.connection()
            rows = connection.exec_driver_sql(
                "SELECT entity, row_id, field, lost_value, lost_hlc, lost_author, lost_member,"
                " won_value, won_hlc, won_author, won_member, noticed_at FROM sync_conflicts"
                " ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
            labels = {}
            for entity, row_id, *_ in rows:
                if (entity, row_id) not in labels and entity in tables.LABELS:
                    what, column = tables.LABELS[entity]
                    found = connection.exec_driver_sql(
                        f'SELECT "{column}" FROM {entity} WHERE id = ?', (row_id,)
                    ).scalar()
                    labels[(entity, row_id)] = f'{what} "{found}"' if found is not None else what
        return [
            SyncConflict(
                entity=entity,
                row_id=row_id,
                label=labels.get((entity, row_id), entity),
                field=field,
                lost_value=json.loads(lost_value),
                lost_by=written_by(lost_hlc, lost_author, lost_member),
                won_value=json.loads(won_value),
                won_by=written_by(won_hlc, won_author, won_member),
                noticed_at=_utc.process_result_value(noticed, None),  # type: ignore[arg-type]
            )
            for (
                entity,
                row_id,
                field,
                lost_value,
                lost_hlc,
                lost_author,
                lost_member,
                won_value,
                won_hlc,
                won_author,
                won_member,
                noticed,
            ) in rows
        ]

    # -- connecting -------------------------------------------------------------------------

    def client(self, target: SyncTarget, transport: PgTransport | None = None) -> SyncClient:
        transport = transport or PgTransport(conninfo(target.settings, target.password))
        return SyncClient(
            self.database,
            transport,
            team=target.settings.team,
            workstation_id=self._workstation,
            hlc=self._hlc,
            author=self._author,
            rebuild=self._rebuild,
        )

    def check(self, target: SyncTarget) -> str:
        transport = PgTransport(conninfo(target.settings, target.password))
        try:
            info = transport.hello(target.settings.team)
        finally:
            transport.close()
        return (
            f"Connected to {where(transport.info)}: sync schema version {info.version}; "
            f"team {target.settings.team} has {info.last_seq} changes on the server."
        )

    def connect(self, target: SyncTarget) -> SqlSyncSession:
        transport = PgTransport(conninfo(target.settings, target.password))
        listener: Listener | None = None
        try:
            info = transport.hello(target.settings.team)
            if info.version < SERVER_VERSION:
                raise SyncRefused(
                    f"The sync server at {where(transport.info)} runs sync schema version "
                    f"{info.version}; this console needs version {SERVER_VERSION}. Ask its "
                    "administrator to run 'python main.py sync upgrade-server --url …'."
                )
            listener = Listener(transport.info, info.channel)
            client = self.client(target, transport)
            listener.open()
            client.check_scope()
        except BaseException:
            if listener is not None:
                listener.close()
            transport.close()
            raise
        return SqlSyncSession(client, listener, info)

    def on_local_write(self, callback: Callable[[], None]) -> Callable[[], None]:
        return self.database.on_commit(callback)
