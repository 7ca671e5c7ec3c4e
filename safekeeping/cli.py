"""``main.py import|export|backup|restore``: one entry point, each command in its module.

Every command takes ``--db PATH`` (default: the database in the user data folder), prints
results on stdout and problems on stderr in words, and exits 0 on success, 1 when some
input was refused, 2 on a usage error (DESIGN §10).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["COMMANDS", "safekeeping_command"]

COMMANDS = ("import", "export", "backup", "restore")


def safekeeping_command(arguments: Sequence[str], default_db: Callable[[], Path]) -> int:
    """Run ``import customers|archive``, ``export``, ``backup`` or ``restore``."""
    command, rest = arguments[0], list(arguments[1:])
    if command == "import":
        if rest[:1] == ["customers"]:
            from safekeeping.import_cli import import_customers_command  # noqa: PLC0415

            return import_customers_command(rest[1:], default_db)
        if rest[:1] == ["archive"]:
            from safekeeping.archive_cli import import_archive_command  # noqa: PLC0415

            return import_archive_command(rest[1:], default_db)
        parser = argparse.ArgumentParser(
            prog="main.py import", description="Bring customers or a whole archive in."
        )
        parser.add_argument("what", choices=("customers", "archive"))
        parser.parse_args(rest[:1] or ["--help"])
        return 2
    if command == "export":
        from safekeeping.archive_cli import export_command  # noqa: PLC0415

        return export_command(rest, default_db)
    from safekeeping.backup_cli import backup_command, restore_command  # noqa: PLC0415

    if command == "backup":
        return backup_command(rest, default_db)
    return restore_command(rest, default_db)
