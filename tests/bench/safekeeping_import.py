"""Onboarding benchmark: importing 5 000 customers with 20 000 contacts from CSV (and XLSX).

Run as ``python -m tests.bench.safekeeping_import [--customers N] [--contacts N] [--no-xlsx]``;
prints one JSON object. The same-run floors are reading the same CSV with the standard
library alone (``csv.reader``, no checking) and checking every address and phone number with
the console's validators alone (no database): the import's own cost is what it adds to them.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import tempfile
import time
from pathlib import Path

from console.domain.ids import HybridLogicalClock
from console.services import validation as v
from console.services.onboarding import Onboarding
from console.services.onboarding_files import read_table
from console.services.seed import seed_defaults
from db.engine import open_database
from db.store import SqliteStore
from tests.clock import ManualClock
from tests.services.conftest import START
from tests.services.onboarding_sheets import COLUMN, team_rows, write_csv, write_xlsx

REGIONS = {"Pacific": "US", "GMT": "GB", "Australian Eastern": "AU"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--no-xlsx", action="store_true", help="skip the XLSX read")
    args = parser.parse_args()
    rows = team_rows(args.customers, args.contacts, seed=5)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        sheet = write_csv(base / "team.csv", rows)

        t0 = time.perf_counter()
        raw = list(csv.reader(io.StringIO(sheet.read_text("utf-8"), newline="")))
        floor_read_s = time.perf_counter() - t0
        assert len(raw) == len(rows) + 1

        t0 = time.perf_counter()
        errors = v.Errors()
        for row in rows:  # what the import checks per row, without a database
            v.emails([e.strip() for e in row[COLUMN["Emails"]].split(";")], errors)
            v.phones([row[COLUMN["Phones"]]], errors, REGIONS[row[COLUMN["Support window"]]])
        floor_validators_s = time.perf_counter() - t0

        clock = ManualClock(START)
        hlc = HybridLogicalClock("bench", lambda: int(clock.now().timestamp() * 1000))
        store = SqliteStore(open_database(base / "b.sqlite3", backup=False, quick_check=False))
        seed_defaults(store, clock, hlc)
        onboarding = Onboarding(store, clock, hlc=hlc)

        t0 = time.perf_counter()
        table = read_table(sheet)
        read_s = time.perf_counter() - t0
        mapping = onboarding.mapping_for(table)

        t0 = time.perf_counter()
        preview = onboarding.plan(table, mapping)
        plan_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        first = onboarding.apply(table, mapping)
        import_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        again = onboarding.apply(table, mapping)
        reimport_s = time.perf_counter() - t0
        store.close()
        assert not preview.refused_rows and again.changes == 0
        assert first.changes == args.customers + args.contacts

        xlsx_read_s = None
        if not args.no_xlsx:
            book = write_xlsx(base / "team.xlsx", rows)
            t0 = time.perf_counter()
            assert len(read_table(book).rows) == len(rows)
            xlsx_read_s = round(time.perf_counter() - t0, 2)

    total = read_s + import_s
    print(
        json.dumps(
            {
                "name": "safekeeping_import",
                "customers": args.customers,
                "contacts": args.contacts,
                "rows": len(rows),
                "read_s": round(read_s, 3),
                "plan_s": round(plan_s, 2),
                "import_s": round(import_s, 2),
                "import_rows_per_s": round(len(rows) / total),
                "reimport_unchanged_s": round(reimport_s, 2),
                "xlsx_read_s": xlsx_read_s,
                "floor_csv_reader_s": round(floor_read_s, 3),
                "floor_validators_s": round(floor_validators_s, 2),
                "import_vs_validators_floor": round(import_s / floor_validators_s, 2),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
