"""``main.py import customers FILE``: a team's customers and support lists from CSV or XLSX.

Columns are named as in the template the Customers screen saves (or mapped once in its Import
dialog: the mapping is remembered for files with the same columns). Each refused row is one
line on stderr (``row 214, email: …``); the summary goes to stdout. Without ``--valid-only``
any refused row imports nothing; everything lands in one transaction or not at all.
Exit codes: 0 imported, 1 something was refused, 2 a usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from console.services.context import SystemClock
from console.services.onboarding import ImportRefused, Onboarding
from console.services.onboarding_files import BY_KEY, TEMPLATE_COLUMNS, ImportFileError
from console.services.seed import seed_defaults
from console.services.validation import ValidationError
from console.services.workstation import workstation
from db.engine import database_exists, open_database
from db.errors import StoreError
from db.store import SqliteStore

__all__ = ["import_customers_command"]

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def build_parser(default_db: Callable[[], Path]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py import customers",
        description=(
            "Import customers and their support lists from a CSV or XLSX file, one row per "
            "contact, with the columns of the template: " + ", ".join(TEMPLATE_COLUMNS) + ". "
            "Customers are matched by reference, else by name; importing the same file again "
            "changes nothing."
        ),
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="a .csv or .xlsx file")
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help=f"the console's database (default: {default_db()})",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="check every row and say what would change"
    )
    parser.add_argument(
        "--valid-only",
        action="store_true",
        help="import the rows that pass and leave out the refused ones",
    )
    return parser


def import_customers_command(argv: Sequence[str], default_db: Callable[[], Path]) -> int:
    """``argv`` is what follows ``import customers``; returns the exit code."""
    try:
        args = build_parser(default_db).parse_args(list(argv))
    except SystemExit as exc:
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    path: Path = args.db or default_db()
    store = _open(path)
    if store is None:
        return EXIT_REFUSED
    try:
        return _run(store, args.file, dry_run=args.dry_run, valid_only=args.valid_only)
    except StoreError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_REFUSED
    finally:
        store.close()


def _run(store: SqliteStore, file: Path, *, dry_run: bool, valid_only: bool) -> int:
    clock = SystemClock()
    station = workstation(store)
    seed_defaults(store, clock, station.hlc)
    onboarding = Onboarding(store, clock, hlc=station.hlc)
    try:
        table = onboarding.read(file)
    except ImportFileError as exc:
        print(f"{file}: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    mapping = onboarding.mapping_for(table)
    try:
        if dry_run:
            plan = onboarding.plan(table, mapping)
        else:
            plan = onboarding.apply(table, mapping, valid_only=valid_only)
    except ImportRefused as exc:
        for problem in exc.plan.problems:
            print(problem, file=sys.stderr)
        n = len(exc.plan.refused_rows)
        print(
            f"Nothing imported: {n} row{'s' if n != 1 else ''} refused (fix them, or use "
            f"--valid-only). The other rows alone would give: "
            f"{exc.plan.summary(refused=False)}."
        )
        return EXIT_REFUSED
    except ValidationError as exc:
        for message in exc.errors.values():
            print(f"{file}: {message}", file=sys.stderr)
        used = ", ".join(
            f'"{h}" → {BY_KEY[k].label}' for h, k in zip(table.header, mapping, strict=True) if k
        )
        print(f"Columns understood: {used or 'none'}.", file=sys.stderr)
        return EXIT_REFUSED
    for problem in plan.problems:
        print(problem, file=sys.stderr)
    if dry_run:
        print(f"Dry run, nothing written: {plan.summary()}.")
    else:
        print(f"Imported: {plan.summary()}.")
    return EXIT_REFUSED if plan.refused_rows else EXIT_OK


def _open(path: Path) -> SqliteStore | None:
    try:
        if not database_exists(path):
            print(
                f"There is no database at {path}: open the console once first (see --db).",
                file=sys.stderr,
            )
            return None
        return SqliteStore(open_database(path))
    except StoreError as exc:
        print(exc.message, file=sys.stderr)
        return None
