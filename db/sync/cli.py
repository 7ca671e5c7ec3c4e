"""``main.py sync …``: administer a team-sync server.

- ``sync init-server --url URL [--member TEAM:LOGIN[:ROLE]]…`` creates or upgrades the sync
  schema (run by whoever administers the PostgreSQL database), ``sync upgrade-server`` only
  upgrades it;
- ``sync member add|list|remove … --team TEAM --url URL`` manage who syncs a team and as what
  (agent, lead or admin), run by an admin of the team or the database administrator.

TLS is ``verify-full`` unless told otherwise, so the password only ever goes to the server
named in the URL; with a weaker mode chosen on purpose, libpq may only answer a SCRAM
challenge, which never reveals the password. The password comes from ``--password`` (a
prompt), ``PGPASSWORD`` or ``~/.pgpass`` — never from the URL, which is refused if it holds
one. Exit codes: 0 done, 1 refused or failed, 2 a usage error.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path

import psycopg

from console.services.sync import TEAM_PATTERN, SyncError, TlsMode
from db.sync.server import (
    APP_ROLES,
    InitResult,
    add_member,
    check_member_request,
    init_server,
    latest_version,
    list_members,
    missing_logins,
    remove_member,
    upgrade_server,
)
from db.sync.transport import CONNECT_TIMEOUT_S, tls_options, where

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A bad argument, found before anything touched the server."""


def _connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        required=True,
        help="the server, e.g. postgresql://admin@db.example.com/support (no password here)",
    )
    parser.add_argument(
        "--tls",
        choices=[m.value for m in TlsMode],
        default=TlsMode.VERIFY_FULL.value,
        help="TLS mode for this connection (default: verify-full, checking the server's "
        "certificate against --ca or the system's trusted authorities)",
    )
    parser.add_argument(
        "--ca", metavar="FILE", default="", help="the certificate authority to trust (PEM)"
    )
    parser.add_argument(
        "--password",
        action="store_true",
        help="ask for the password (otherwise PGPASSWORD or ~/.pgpass are used, if set)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="support-console sync",
        description=f"Administer a Support Console team-sync server (schema version "
        f"{latest_version()}).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    init = commands.add_parser(
        "init-server",
        help="create or upgrade the sync schema (safe to run again)",
        description="Create or upgrade the Support Console sync schema on a PostgreSQL server "
        f"(schema version {latest_version()}). Safe to run again.",
    )
    _connection_arguments(init)
    init.add_argument(
        "--member",
        action="append",
        default=[],
        metavar="TEAM:LOGIN[:ROLE]",
        help="let the login role LOGIN sync team TEAM as ROLE (agent, lead or admin; "
        "default agent); repeatable",
    )
    upgrade = commands.add_parser(
        "upgrade-server",
        help="upgrade the sync schema; a newer one is left untouched",
        description="Bring the sync schema to version "
        f"{latest_version()}. Members from before version 2 become agents.",
    )
    _connection_arguments(upgrade)

    member = commands.add_parser("member", help="manage a team's members")
    actions = member.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="let a login role sync a team, or change its role")
    add.add_argument("login", metavar="LOGIN", help="an existing login role on the server")
    add.add_argument("--role", choices=APP_ROLES, default="agent", help="default: agent")
    listing = actions.add_parser("list", help="the team's members, roles and workstations")
    remove = actions.add_parser("remove", help="stop a login role syncing a team")
    remove.add_argument("login", metavar="LOGIN")
    for sub in (add, listing, remove):
        sub.add_argument("--team", required=True, help="the team, e.g. support_eu")
        _connection_arguments(sub)
    return parser


def _parse_members(items: Sequence[str]) -> list[tuple[str, str, str]]:
    members = []
    for item in items:
        parts = item.split(":")
        if len(parts) not in (2, 3) or not all(parts):
            raise UsageError(
                f"--member {item!r}: expected TEAM:LOGIN or TEAM:LOGIN:ROLE, "
                "e.g. support_eu:alice:lead"
            )
        team, login = parts[0], parts[1]
        role = parts[2] if len(parts) == 3 else "agent"
        if not TEAM_PATTERN.match(team):
            raise UsageError(
                f"--member {item!r}: {team!r} is not a team name (1 to 40 lower-case letters, "
                "digits or underscores, e.g. support_eu)"
            )
        if role not in APP_ROLES:
            raise UsageError(
                f"--member {item!r}: {role!r} is not an app role (agent, lead or admin)"
            )
        members.append((team, login, role))
    return members


def connection_info(url: str, tls: str, ca_file: str = "", password: str | None = None) -> str:
    """The libpq connection string for ``url``; refuses a password inside it, in words."""
    try:
        given = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise UsageError(f"--url: {str(exc).strip() or 'not a connection URL'}") from exc
    if "password" in given:
        raise UsageError(
            "--url must not contain a password (it would end up in shell history and process "
            "lists): use --password to be asked for it, or PGPASSWORD or ~/.pgpass."
        )
    if ca_file and not Path(ca_file).is_file():
        raise UsageError(f"--ca {ca_file}: no such file")
    extra: dict[str, str | int] = {"connect_timeout": CONNECT_TIMEOUT_S}
    extra.update(tls_options(TlsMode(tls), ca_file))
    if password:
        extra["password"] = password
    try:
        return psycopg.conninfo.make_conninfo(url, **extra)
    except psycopg.ProgrammingError as exc:
        raise UsageError(f"--url: {str(exc).strip()}") from exc


def _report_init(place: str, result: InitResult) -> None:
    if result.applied:
        print(
            f"{place}: sync schema upgraded from version {result.before} to {result.after} "
            f"({', '.join(result.applied)})."
        )
        if 0 < result.before < 2 <= result.after:
            print(
                f"{place}: existing members are now agents; give leads and admins their role "
                "with 'python main.py sync member add LOGIN --role lead --team TEAM --url …'."
            )
    else:
        print(f"{place}: sync schema already at version {result.after}; nothing to do.")
    if result.temporary_revoked:
        print(f"{place}: ordinary logins may not create temporary objects in this database.")
    else:
        print(f"{place}: warning: {result.temporary_note}.", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    members = _parse_members(getattr(args, "member", []) or [])
    if args.command == "member" and args.action in ("add", "remove"):
        try:
            check_member_request(args.team, args.login, getattr(args, "role", "agent"))
        except SyncError as exc:
            raise UsageError(exc.message) from exc
    elif args.command == "member" and not TEAM_PATTERN.match(args.team):
        raise UsageError(
            f"--team {args.team!r}: a team name is 1 to 40 lower-case letters, digits or "
            "underscores (e.g. support_eu)"
        )
    connection_info(args.url, args.tls, args.ca)  # a bad URL is refused before the prompt
    password = getpass.getpass("Password: ") if args.password else None
    info = connection_info(args.url, args.tls, args.ca, password)
    place = where(info)
    if args.command in ("init-server", "upgrade-server"):
        missing = missing_logins(info, sorted({login for _, login, _ in members}))
        if missing:
            print(
                f"{place}: no login role {', '.join(repr(m) for m in missing)} on this "
                "server; nothing was changed. Create it first (CREATE ROLE … LOGIN "
                "PASSWORD …), then run this again.",
                file=sys.stderr,
            )
            return EXIT_FAILED
        command = init_server if args.command == "init-server" else upgrade_server
        _report_init(place, command(info))
        for team, login, role in members:
            add_member(info, team, login, role)
            print(f"{place}: {login} may now sync team {team} as {role}.")
        return EXIT_OK
    if args.action == "add":
        add_member(info, args.team, args.login, args.role)
        print(f"{place}: {args.login} may now sync team {args.team} as {args.role}.")
    elif args.action == "remove":
        remove_member(info, args.team, args.login)
        print(f"{place}: {args.login} may no longer sync team {args.team}.")
    else:
        found = list_members(info, args.team)
        if not found:
            print(f"{place}: team {args.team} has no members.")
        for item in found:
            stations = ", ".join(item.workstations) or "none"
            pushed = (
                item.last_push_at.isoformat(timespec="seconds") if item.last_push_at else "never"
            )
            print(f"{item.member}\t{item.app_role}\tworkstations: {stations}\tlast push: {pushed}")
    return EXIT_OK


def sync_command(argv: Sequence[str]) -> int:
    """``main.py sync …`` (``argv`` is what follows ``sync``); returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    try:
        return _run(args)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except SyncError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_FAILED
    except (EOFError, KeyboardInterrupt):
        print("Cancelled; nothing was changed.", file=sys.stderr)
        return EXIT_FAILED


def init_server_command(argv: Sequence[str]) -> int:
    """``main.py sync init-server …`` (``argv`` is what follows ``init-server``)."""
    return sync_command(["init-server", *argv])
