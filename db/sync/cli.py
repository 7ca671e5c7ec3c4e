"""``main.py sync init-server --url URL``: create or upgrade the sync server's schema.

Run once by whoever administers the team's PostgreSQL database (as its owner or a role that
may create schemas and roles). The password comes from the usual libpq places (``PGPASSWORD``,
``~/.pgpass``) or a prompt; it is never written anywhere.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

import psycopg

from console.services.sync import TEAM_PATTERN, SyncError, TlsMode
from db.sync.server import add_member, init_server, latest_version
from db.sync.transport import translate, where

EXIT_OK = 0
EXIT_FAILED = 2
EXIT_USAGE = 64


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="support-console sync init-server",
        description=(
            "Create or upgrade the Support Console sync schema on a PostgreSQL server "
            f"(schema version {latest_version()}). Safe to run again."
        ),
    )
    parser.add_argument(
        "--url",
        required=True,
        help="the server, e.g. postgresql://admin@db.example.com/support (no password here)",
    )
    parser.add_argument(
        "--tls",
        choices=[m.value for m in TlsMode],
        default=TlsMode.PREFER.value,
        help="TLS mode for this connection (default: prefer)",
    )
    parser.add_argument(
        "--member",
        action="append",
        default=[],
        metavar="TEAM:ROLE",
        help="let the database role ROLE sync team TEAM (repeatable)",
    )
    parser.add_argument(
        "--password",
        action="store_true",
        help="ask for the password (otherwise PGPASSWORD or ~/.pgpass are used, if set)",
    )
    return parser


def init_server_command(argv: Sequence[str]) -> int:
    """Parse ``argv`` (what follows ``sync init-server``), migrate, report; an exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    members = []
    for item in args.member:
        team, _, role = item.partition(":")
        if not TEAM_PATTERN.match(team) or not role:
            print(f"--member {item!r}: expected TEAM:ROLE, e.g. support_eu:alice", file=sys.stderr)
            return EXIT_USAGE
        members.append((team, role))
    extra: dict[str, str] = {"sslmode": args.tls}
    if args.password:
        extra["password"] = getpass.getpass("Password: ")
    try:
        info = psycopg.conninfo.make_conninfo(args.url, **extra)
    except psycopg.ProgrammingError as exc:
        print(f"--url: {exc}", file=sys.stderr)
        return EXIT_USAGE
    place = where(info)
    try:
        result = init_server(info)
        for team, role in members:
            add_member(info, team, role)
    except SyncError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_FAILED
    except psycopg.OperationalError as exc:  # unreachable, password, TLS
        print(translate(exc, info).message, file=sys.stderr)
        return EXIT_FAILED
    except psycopg.Error as exc:  # e.g. the role may not create schemas or roles
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(
            f"{place}: the sync schema could not be created or upgraded ({detail}); nothing "
            "was changed. Run this as the database's owner or an administrator.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if result.applied:
        print(
            f"{place}: sync schema upgraded from version {result.before} to {result.after} "
            f"({', '.join(result.applied)})."
        )
    else:
        print(f"{place}: sync schema already at version {result.after}; nothing to do.")
    for team, role in members:
        print(f"{place}: {role} may now sync team {team}.")
    return EXIT_OK
