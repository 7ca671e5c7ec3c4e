"""Spreadsheets a team brings: CSV in any common encoding and delimiter, or XLSX; the columns
the console knows and how a file's columns map to them; the template the import expects.

One row per support-list contact, the customer's columns repeated on each of its rows. Rows
are numbered as a spreadsheet program shows them (the header is row 1), so a message that
says "row 214" points at the line the person sees.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import TypeVar

from charset_normalizer import from_bytes
from charset_normalizer.md import mess_ratio

MAX_BYTES = 64 * 1024 * 1024  # far above 20 000 contacts; a bigger file is not a customer list
MAX_ROWS = 200_000
_SNIFF = 64 * 1024
T = TypeVar("T")


class ImportFileError(ValueError):
    """The file cannot be read as a customer list; the message says why, in words."""


@dataclass(frozen=True, slots=True)
class Field:
    key: str
    column: str  # the template's column name
    label: str  # how messages name it: "row 214, email: …"
    aliases: tuple[str, ...] = ()
    many: bool = False  # several file columns may feed it (Email 1, Email 2)


FIELDS: tuple[Field, ...] = (
    Field(
        "reference",
        "Customer reference",
        "customer reference",
        (
            "reference",
            "ref",
            "customer ref",
            "customer id",
            "account id",
            "account number",
            "customer number",
            "customer code",
            "account reference",
            "external id",
        ),
    ),
    Field(
        "customer",
        "Customer name",
        "customer name",
        (
            "customer",
            "company",
            "company name",
            "account",
            "account name",
            "organisation",
            "org",
            "organization",
            "client",
            "client name",
        ),
    ),
    Field("plan", "Plan", "plan", ("support plan", "plan name", "plan id", "tier", "sla plan")),
    Field(
        "window",
        "Support window",
        "support window",
        ("window", "support hours", "hours", "business hours", "window name"),
    ),
    Field(
        "csm_name",
        "CSM name",
        "account manager's name",
        ("csm", "account manager", "customer success manager", "csm full name"),
    ),
    Field("csm_email", "CSM email", "account manager's email", ("account manager email",)),
    Field("csm_phone", "CSM phone", "account manager's phone", ("account manager phone",)),
    Field(
        "contact",
        "Contact name",
        "contact name",
        ("contact", "name", "full name", "person", "contact full name"),
    ),
    Field("role", "Role", "role", ("contact role", "title", "job title", "position")),
    Field(
        "emails",
        "Emails",
        "email",
        ("email", "e mail", "email address", "email addresses", "contact email", "mail"),
        many=True,
    ),
    Field(
        "phones",
        "Phones",
        "phone",
        ("phone", "phone number", "phone numbers", "telephone", "mobile", "contact phone", "tel"),
        many=True,
    ),
)
BY_KEY = {f.key: f for f in FIELDS}
TEMPLATE_COLUMNS = tuple(f.column for f in FIELDS)
REQUIRED = ("customer", "plan", "window")
CONTACT_FIELDS = ("contact", "role", "emails", "phones")


@dataclass(frozen=True, slots=True)
class Table:
    """A file's header and data rows as text; ``numbers`` are the rows' numbers in the file."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numbers: tuple[int, ...]
    source: str = ""

    @property
    def signature(self) -> str:
        """The same for every file with these column names, whatever their rows."""
        names = "\x1f".join(_normal(h) for h in self.header)
        return hashlib.sha256(names.encode()).hexdigest()[:20]


# --- reading --------------------------------------------------------------------------------


def read_table(path: Path) -> Table:
    """The file at ``path``: XLSX by content (a zip), anything else read as CSV text."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ImportFileError(
                f"{path.name} is {size // (1024 * 1024)} MiB; a customer list may be at most "
                f"{MAX_BYTES // (1024 * 1024)} MiB."
            )
        with path.open("rb") as handle:
            head = handle.read(4)
    except FileNotFoundError as exc:
        raise ImportFileError(f"There is no file at {path}.") from exc
    except IsADirectoryError as exc:
        raise ImportFileError(f"{path} is a folder, not a spreadsheet.") from exc
    except OSError as exc:
        raise ImportFileError(f"{path.name} cannot be read: {exc.strerror or exc}.") from exc
    if head.startswith(b"PK\x03\x04"):
        return _with_source(read_xlsx(path), path.name)
    if path.suffix.lower() in {".xls", ".xlsm", ".ods", ".numbers"}:
        raise ImportFileError(
            f"{path.name} is not a CSV or XLSX file: save it as .xlsx or .csv and import that."
        )
    return _with_source(read_csv(path.read_bytes()), path.name)


def _with_source(table: Table, source: str) -> Table:
    return Table(table.header, table.rows, table.numbers, source)


def decode(data: bytes) -> str:
    """The text of a CSV file, whatever common encoding it was saved in."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    sample = data[: 4 * _SNIFF]
    best = from_bytes(sample).best()
    try:  # Windows' Western default, which spreadsheet programs save "CSV" in
        western = sample.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    # Single-byte code pages often tie on text that is mostly ASCII (Søren reads as Sřren in
    # cp1250 just as plausibly to a detector): the Western one wins unless another reads
    # clearly better.
    if western is not None and (best is None or mess_ratio(western, 1.0) <= best.chaos + 0.01):
        return data.decode("cp1252", errors="replace")
    encoding = best.encoding if best is not None else "cp1252"
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return data.decode("cp1252", errors="replace")


def read_csv(data: bytes) -> Table:
    if b"\x00" in data[:_SNIFF] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("The file is not a spreadsheet: it holds binary data.")
    text = decode(data)
    sample = text[:_SNIFF]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        records = list(_limited(reader))
    except csv.Error as exc:
        raise ImportFileError(
            f"The CSV file is malformed near row {reader.line_num}: {exc}."
        ) from exc
    return _table(records)


def _limited(rows: Iterable[T]) -> Iterator[T]:
    for index, row in enumerate(rows):
        if index > MAX_ROWS:
            raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows: split it.")
        yield row


def read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook  # noqa: PLC0415 (only XLSX imports pay for it)

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(f"{path.name} is not a readable XLSX workbook ({exc}).") from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise ImportFileError(f"{path.name} has no sheet.")
        records = [
            [_cell(value) for value in row] for row in _limited(sheet.iter_rows(values_only=True))
        ]
    finally:
        book.close()
    return _table(records)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number typed as a number
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _table(records: Sequence[Sequence[str]]) -> Table:
    numbered = [(n, [c.strip() for c in r]) for n, r in enumerate(records, start=1)]
    numbered = [(n, r) for n, r in numbered if any(r)]
    if not numbered:
        raise ImportFileError("The file is empty: it needs a header row and a row per contact.")
    (header_number, header), body = numbered[0], numbered[1:]
    width = len(header)
    while width and not header[width - 1]:
        width -= 1
    if width == 0:
        raise ImportFileError(f"Row {header_number} should name the columns; it is empty.")
    rows = tuple(tuple((r + [""] * width)[:width]) for _, r in body)
    return Table(tuple(header[:width]), rows, tuple(n for n, _ in body))


# --- column mapping --------------------------------------------------------------------------


def _normal(name: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", name.casefold()).split())


_NORMAL_NAMES = {
    **{_normal(a): f.key for f in FIELDS for a in f.aliases},
    **{_normal(f.column): f.key for f in FIELDS},
}


def _fuzzy(name: str) -> str:
    words = set(name.split())
    manager = bool(words & {"csm", "manager"})
    if "email" in name.replace(" ", "") or "mail" in words:
        return "csm_email" if manager else "emails"
    if words & {"phone", "phones", "mobile", "telephone", "tel"}:
        return "csm_phone" if manager else "phones"
    if manager:
        return "csm_name"
    if words & {"ref", "reference", "id", "number", "code"}:
        return "reference"
    if words & {"plan", "tier"}:
        return "plan"
    if words & {"window", "hours"}:
        return "window"
    if words & {"role", "title", "position"}:
        return "role"
    if words & {"customer", "company", "account", "client", "organisation", "organization"}:
        return "customer"
    if words & {"contact", "name", "person"}:
        return "contact"
    return ""


def guess_mapping(header: Sequence[str]) -> tuple[str, ...]:
    """A field for each column, by its name (template names, common synonyms); "" to skip."""
    mapping = [_NORMAL_NAMES.get(_normal(name), "") for name in header]
    for index, name in enumerate(header):
        if mapping[index]:
            continue
        key = _fuzzy(_normal(name))
        if key and (BY_KEY[key].many or key not in mapping):
            mapping[index] = key
    for index, key in enumerate(mapping):  # a single field taken twice: keep the first
        if key and not BY_KEY[key].many and key in mapping[:index]:
            mapping[index] = ""
    return tuple(mapping)


def mapping_problems(header: Sequence[str], mapping: Sequence[str]) -> list[str]:
    """What is wrong with a mapping, in words; empty when it can be used."""
    problems: list[str] = []
    if len(mapping) != len(header):
        return [f"The mapping names {len(mapping)} columns; the file has {len(header)}."]
    for key in mapping:
        if key and key not in BY_KEY:
            problems.append(f'"{key}" is not a field the import knows.')
    for f in FIELDS:
        columns = [header[i] for i, key in enumerate(mapping) if key == f.key]
        if len(columns) > 1 and not f.many:
            shown = ", ".join(f'"{c}"' for c in columns)
            problems.append(f"Columns {shown} are all mapped to {f.label}: map only one.")
    for key in REQUIRED:
        if key not in mapping:
            problems.append(
                f'Map a column to {BY_KEY[key].label} (template column "{BY_KEY[key].column}").'
            )
    if any(k in mapping for k in CONTACT_FIELDS) and "contact" not in mapping:
        problems.append("Map a column to contact name: the contact columns need it.")
    return problems


def mapping_text(mapping: Sequence[str]) -> str:
    return json.dumps(list(mapping))


def mapping_from_text(text: str | None, width: int) -> tuple[str, ...] | None:
    try:
        value = json.loads(text or "")
    except ValueError:
        return None
    if not isinstance(value, list) or len(value) != width:
        return None
    if not all(isinstance(k, str) and (not k or k in BY_KEY) for k in value):
        return None
    return tuple(value)


# --- template --------------------------------------------------------------------------------

_EXAMPLE = (
    "ACME-001",
    "Acme Corporation",
    "Premium Plus",
    "Pacific",
    "Dana Whitfield",
    "dana.whitfield@vendor.example",
    "+1 415 555 0132",
    "Ana Lima",
    "IT operations lead",
    "ana.lima@acme.example; it-ops@acme.example",
    "+1 415 555 0100",
)


def template_csv() -> bytes:
    """The template as CSV (UTF-8 with a BOM, so spreadsheet programs read accents right)."""
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerow(TEMPLATE_COLUMNS)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def write_template(path: Path) -> None:
    """Save the template at ``path``: XLSX for a ``.xlsx`` name, else CSV."""
    if path.suffix.lower() != ".xlsx":
        path.write_bytes(template_csv())
        return
    from openpyxl import Workbook  # noqa: PLC0415

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Customers"
    sheet.append(list(TEMPLATE_COLUMNS))
    notes = book.create_sheet("How to fill in")
    notes.append(["Column", "What goes in it", "Example"])
    explained = {
        "reference": "Your own id for the customer; matches the same customer on re-import.",
        "customer": "Required. Repeated on every contact row of the customer.",
        "plan": "Required. A plan of the current support policy, by name or id.",
        "window": "Required. A support window, by name (Pacific, GMT …).",
        "csm_name": "Only for plans with a named account manager.",
        "csm_email": "The account manager's email.",
        "csm_phone": "The account manager's phone (with + and the country code abroad).",
        "contact": "One row per contact, in support-list order (first row first).",
        "role": "What the contact does.",
        "emails": "One or more, separated by ; or new lines.",
        "phones": "One or more, separated by ; or new lines.",
    }
    for f, example in zip(FIELDS, _EXAMPLE, strict=True):
        notes.append([f.column, explained[f.key], example])
    book.save(path)
