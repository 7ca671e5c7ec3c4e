"""A support team's spreadsheet as it arrives: customers with their support lists, one row
per contact, customer columns repeated; written as CSV (in a chosen encoding and delimiter)
or XLSX. Deterministic for a seed, so a test can break a row and fix it again."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from pathlib import Path

from console.services.onboarding_files import TEMPLATE_COLUMNS

_FIRST = [
    "Ana",
    "Ben",
    "Chloé",
    "Dev",
    "Elif",
    "Farah",
    "Goran",
    "Hana",
    "Ines",
    "Jonas",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Yusuf",
    "Zoë",
    "Björn",
    "Søren",
    "Amélie",
]
_LAST = [
    "Lima",
    "Okafor",
    "Dubois",
    "Patel",
    "Sánchez",
    "Haddad",
    "Novak",
    "Sato",
    "Moreau",
    "Berg",
    "Mensah",
    "Fischer",
    "Rossi",
    "Kowalski",
    "Nguyen",
    "Silva",
    "Müller",
    "Andersen",
    "Costa",
    "Ivanova",
    "Park",
    "Schmidt",
    "Bauer",
    "Lund",
]
_WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Vandelay",
    "Aperture",
    "Massive",
    "Oscorp",
    "Gringotts",
    "Duff",
    "Pied",
    "Nakatomi",
    "Monarch",
    "Vehement",
    "Sirius",
    "Zorg",
    "Ajax",
]
_KINDS = [
    "Logistics",
    "Health",
    "Foods",
    "Energy",
    "Labs",
    "Retail",
    "Finance",
    "Media",
    "Robotics",
    "Travel",
]
_ROLES = ("IT operations lead", "CTO", "Service desk", "Head of support", "On-call engineer")
_PLANS = ("Standard", "Advanced", "Premium", "Premium Plus", "premium_plus", "standard")
# window → a phone number format valid in that window's country
_WINDOWS = {
    "Pacific": "+1 415 555 {:04d}",
    "GMT": "020 7946 {:04d}",
    "Australian Eastern": "+61 2 9374 {:04d}",
}


def team_rows(customers: int = 300, contacts: int = 1000, seed: int = 18) -> list[list[str]]:
    """Rows under TEMPLATE_COLUMNS; every row valid."""
    rng = random.Random(seed)
    per = [contacts // customers] * customers
    for i in range(contacts - sum(per)):
        per[i % customers] += 1
    rows: list[list[str]] = []
    serial = 0
    for index in range(customers):
        name = f"{rng.choice(_WORDS)} {rng.choice(_KINDS)} {index + 1:04d}"
        plan = rng.choice(_PLANS)
        window = rng.choice(list(_WINDOWS))
        named = plan.casefold().replace("_", " ") == "premium plus"
        csm = (
            ("Dana Whitfield", "dana.whitfield@vendor.example", "+1 415 555 0132")
            if named
            else ("", "", "")
        )
        domain = f"{name.split(maxsplit=1)[0].lower()}{index}.example"
        for n in range(per[index]):
            serial += 1
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            person = f"{first} {last} {n + 1}" if n else f"{first} {last}"
            local = f"{first}.{last}{n}".lower()
            emails = f"{local}@{domain}"
            if n == 0:
                emails += f"; support@{domain}"
            phone = _WINDOWS[window].format(100 + serial % 90) if n % 2 == 0 else ""
            rows.append(
                [
                    f"C-{index + 1:04d}",
                    name,
                    plan,
                    window,
                    *csm,
                    person,
                    rng.choice(_ROLES),
                    emails,
                    phone,
                ]
            )
    return rows


def write_csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    header: Sequence[str] = TEMPLATE_COLUMNS,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def write_xlsx(
    path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = TEMPLATE_COLUMNS
) -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Customers")
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


COLUMN = {name: i for i, name in enumerate(TEMPLATE_COLUMNS)}
