"""Field validators shared by every form: each returns the value to store or raises ValueError.

A form collects every problem with :class:`Errors` and raises one :class:`ValidationError`
with a message per field, so the screen can mark all of them at once and nothing is saved
until everything is valid.

Every text input goes through :func:`plain` first: a lone surrogate, a control character or an
absurd length is refused in words naming the field, before SQLite (which cannot encode a lone
surrogate) or a message repeating the value ever sees it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import UTC, date, datetime
from functools import cache, partial
from importlib import resources
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import email_validator
import holidays
import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

from console.domain.calendar import BusinessCalendar, installed_zone, zone_problem

T = TypeVar("T")

NAME_MAX = 200
TEXT_MAX = 20_000
FILENAME_MAX = 255
EMAIL_MAX = 254  # RFC 5321: an address never fits more
PHONE_MAX = 250  # the longest input phonenumbers parses
ID_MAX = 64  # a UUID is 36 characters
HOURS_MAX = 500  # a week of several ranges a day takes under 300
ATTACHMENT_LIMIT = 25 * 1024 * 1024  # 25 MiB


class ValidationError(ValueError):
    """Everything wrong with one form: ``errors`` maps a field (``emails[1]``) to a message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(f"{key}: {message}" for key, message in self.errors.items()))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        return cls({field: message})

    @classmethod
    def wrap(cls, field: str, validate: Callable[[], T]) -> T:
        """Run one validator, turning its ValueError into this error for ``field``."""
        try:
            return validate()
        except ValidationError:
            raise
        except ValueError as exc:
            raise cls({field: str(exc)}) from exc


class NotAllowed(PermissionError):  # noqa: N818 (the name is the API)
    """The signed-in agent's role does not permit this action."""


class Errors:
    """Collects field errors for one form; ``raise_if_any`` raises them together."""

    def __init__(self) -> None:
        self._errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self._errors.setdefault(field, message)

    def check(self, field: str, validate: Callable[[], T]) -> T | None:
        """Run a validator; on ValueError record its message under ``field`` and return None."""
        try:
            return validate()
        except ValidationError as exc:
            for key, message in exc.errors.items():
                self.add(f"{field}.{key}" if key else field, message)
        except ValueError as exc:
            self.add(field, str(exc))
        return None

    def __bool__(self) -> bool:
        return bool(self._errors)

    @property
    def errors(self) -> dict[str, str]:
        return dict(self._errors)

    def raise_if_any(self) -> None:
        if self._errors:
            raise ValidationError(self._errors)


def _sentence(message: str) -> str:
    """A library's message made to follow a colon: first letter lower-case, one full stop."""
    message = message.strip()
    if message and not message[:2].isupper():
        message = message[0].lower() + message[1:]
    return message if message.endswith(".") else message + "."


def shown(value: str, limit: int = 60) -> str:
    """``value`` quoted for a message: cut to ``limit`` characters, unprintable ones escaped."""
    cut = value if len(value) <= limit else value[: limit - 1] + "…"
    return '"' + "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in cut) + '"'


# --- text ---------------------------------------------------------------------------------

# Control characters other than tab, line feed and carriage return: C0, DEL and C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def plain(value: object, *, what: str, max_len: int | None = None) -> str:
    """``value`` as text a person may type: the one check every text input goes through first.

    Refused, with a message naming ``what``: anything that is not text; a lone surrogate
    (half a character, left by a broken paste or client, which no database, file or network
    can encode); a control character other than tab and line breaks; and, with ``max_len``,
    more than that many characters once trimmed. None is the empty text.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"The {what} must be text.")
    bad = _SURROGATE.search(value)
    if bad:
        raise ValueError(
            f"The {what} contains a broken character (U+{ord(bad.group()):04X}, half of a "
            "character pair) that cannot be saved: retype that part."
        )
    bad = _CONTROL.search(value)
    if bad:
        raise ValueError(
            f"The {what} contains a control character (U+{ord(bad.group()):04X}) that cannot "
            "be shown: remove it."
        )
    if max_len is not None:
        length = len(value.strip())
        if length > max_len:
            raise ValueError(f"The {what} is {length:,} characters long; at most {max_len:,} fit.")
    return value


def record_id(value: object, *, what: str) -> str:
    """The id of a record as a screen or a sync peer hands it over, fit to be looked up.

    Ids are UUIDs; anything that is not short plain text names no record, and is said so
    before it reaches the database (which cannot even encode a lone surrogate).
    """
    if value is None or value == "":
        return ""
    if (
        not isinstance(value, str)
        or len(value) > ID_MAX
        or _SURROGATE.search(value)
        or _CONTROL.search(value)
    ):
        raise ValueError(f"There is no such {what}: choose one from the list.")
    return value


def name(value: str, *, what: str = "name", max_len: int = NAME_MAX) -> str:
    """A required one-line name, trimmed."""
    text = " ".join(plain(value, what=what).split())
    if not text:
        raise ValueError(f"The {what} is required.")
    if len(text) > max_len:
        raise ValueError(f"The {what} is {len(text)} characters long; at most {max_len} fit.")
    return text


def optional_name(value: str, *, what: str = "name", max_len: int = NAME_MAX) -> str:
    return name(value, what=what, max_len=max_len) if (value or "").strip() else ""


def text(value: str, *, what: str = "text", required: bool = True, max_len: int = TEXT_MAX) -> str:
    """Free text (several lines allowed), trimmed at both ends."""
    body = plain(value, what=what).strip()
    if not body:
        if required:
            raise ValueError(f"The {what} is required.")
        return ""
    if len(body) > max_len:
        raise ValueError(f"The {what} is {len(body)} characters long; at most {max_len} fit.")
    return body


# --- emails and phones --------------------------------------------------------------------


def email(value: str) -> str:
    """One email address in its normalised form (domain lower-cased, Unicode normalised)."""
    address = plain(value, what="email address", max_len=EMAIL_MAX).strip()
    if not address:
        raise ValueError("An email address is required.")
    try:
        result = email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise ValueError(
            f'"{address}" is not a valid email address: {_sentence(str(exc))}'
        ) from exc
    return str(result.normalized)


def optional_email(value: str) -> str:
    return email(value) if plain(value, what="email address").strip() else ""


_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: (
        "it has no valid country code (start it with + and the country code)"
    ),
    NumberParseException.NOT_A_NUMBER: "it does not look like a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "it is too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "it is too short",
    NumberParseException.TOO_LONG: "it is too long",
}

_LENGTH_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "its country code is not in use",
    ValidationResult.TOO_SHORT: "it has too few digits",
    ValidationResult.TOO_LONG: "it has too many digits",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "it is too short (include the area code)",
    ValidationResult.INVALID_LENGTH: "it has the wrong number of digits",
}


@cache
def _tz_table(name: str) -> list[list[str]]:
    """Rows of a tab-separated table shipped with the tz database (``tzdata``)."""
    try:
        text_ = resources.files("tzdata").joinpath(f"zoneinfo/{name}").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return []
    return [line.split("\t") for line in text_.splitlines() if line and not line.startswith("#")]


@cache
def _country_name(region: str) -> str:
    names = {row[0]: row[1] for row in _tz_table("iso3166.tab") if len(row) >= 2}
    name = names.get(region, "")
    if not name:
        return region
    if name.startswith(("United", "Netherlands", "Philippines", "Bahamas", "Gambia")):
        return f"the {name}"
    return f"the {name}" if " of " in name or "Islands" in name else name


def phone(value: str, region: str | None = None) -> str:
    """One phone number in E.164 (``+14155550100``); ``region`` is the default country."""
    raw = plain(value, what="phone number", max_len=PHONE_MAX).strip()
    if not raw:
        raise ValueError("A phone number is required.")
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, str(exc))
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE and not region:
            reason = "without a default country it must start with + and the country code"
        raise ValueError(f'"{raw}" is not a valid phone number: {reason}.') from exc
    which = phonenumbers.region_code_for_country_code(number.country_code or 0)
    if region and number.country_code == phonenumbers.country_code_for_region(region):
        which = region
    place = f"in {_country_name(which)}" if which and which not in {"ZZ", "001"} else ""
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != ValidationResult.IS_POSSIBLE:
        reason = _LENGTH_REASONS.get(possible, "it has the wrong number of digits")
        where = f" for a number {place}" if place else ""
        raise ValueError(f'"{raw}" is not a valid phone number: {reason}{where}.')
    if not phonenumbers.is_valid_number(number):
        hint = "" if raw.startswith("+") else " (write other countries' numbers with + first)"
        raise ValueError(
            f'"{raw}" is not a valid phone number: no number {place or "anywhere"} is assigned'
            f" these digits{hint}."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def optional_phone(value: str, region: str | None = None) -> str:
    return phone(value, region) if plain(value, what="phone number").strip() else ""


def emails(values: Iterable[str], errors: Errors, field: str = "emails") -> tuple[str, ...]:
    """Every non-blank address normalised; problems recorded as ``emails[i]``; no duplicates."""
    return _each(values, errors, field, email)


def phones(
    values: Iterable[str], errors: Errors, region: str | None, field: str = "phones"
) -> tuple[str, ...]:
    return _each(values, errors, field, lambda value: phone(value, region))


def _each(
    values: Iterable[str], errors: Errors, field: str, validate: Callable[[str], str]
) -> tuple[str, ...]:
    kept: list[str] = []
    for index, value in enumerate(values):
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        result = errors.check(f"{field}[{index}]", partial(validate, value))
        if result is None:
            continue
        if result.casefold() in (k.casefold() for k in kept):
            errors.add(f"{field}[{index}]", f"{shown(value.strip())} is listed twice.")
            continue
        kept.append(result)
    return tuple(kept)


@cache
def _zone_countries() -> dict[str, str]:
    """IANA zone → ISO country code, from the tz database's own zone.tab."""
    return {row[2]: row[0] for row in _tz_table("zone.tab") if len(row) >= 3}


_ZONE_ALIASES = {"Etc/GMT": "GB", "Etc/UTC": "GB", "GMT": "GB", "UTC": "GB"}


def region_for_zone(zone_name: str) -> str | None:
    """The country a zone belongs to: the default region for phone numbers written locally."""
    return _ZONE_ALIASES.get(zone_name) or _zone_countries().get(zone_name)


# --- policy ids, windows, zones, holidays ---------------------------------------------------


def choice(value: str, allowed: Collection[str], *, what: str) -> str:
    key = plain(value, what=what).strip()
    if not key:
        raise ValueError(f"The {what} is required.")
    if key not in allowed:
        options = ", ".join(sorted(allowed)) or "none defined"
        raise ValueError(f"{shown(key)} is not a known {what} (one of: {options}).")
    return key


def plan(value: str, plans: Collection[str]) -> str:
    return choice(value, plans, what="plan")


def priority(value: str, priorities: Collection[str]) -> str:
    return choice(plain(value, what="priority").strip().upper(), priorities, what="priority")


def zone(value: str) -> str:
    """An IANA zone name that this machine's tz database holds (never a folder or a path)."""
    zone_name = plain(value, what="time zone").strip()
    if not zone_name:
        raise ValueError("The time zone is required.")
    problem = zone_problem(zone_name)
    if problem is not None:
        raise ValueError(f"{shown(zone_name)} is not a known time zone: {problem}.")
    installed_zone(zone_name)  # the name is right: a damaged tz database file says so here
    return zone_name


def window_hours(hours: str, zone_name: str) -> str:
    """Hours in the calendar grammar; the calendar's own message explains a mistake."""
    spec = plain(hours, what="hours", max_len=HOURS_MAX).strip()
    if not spec:
        raise ValueError('The hours are required, for example "Mon-Fri 09:00-17:30".')
    BusinessCalendar.parse(spec, zone_name)
    return spec


def holiday_country(country: str, subdivision: str = "") -> tuple[str, str]:
    """A country (and optional subdivision) the ``holidays`` package knows, upper-cased."""
    code = plain(country, what="holiday country").strip().upper()
    sub = plain(subdivision, what="holiday subdivision").strip()
    if not code:
        if sub:
            raise ValueError("A subdivision needs a country.")
        return "", ""
    supported = holidays.list_supported_countries()
    if code not in supported:
        raise ValueError(f"{shown(code)} is not a country with known public holidays.")
    if sub:
        subdivisions = {str(s).upper(): str(s) for s in supported[code]}
        if sub.upper() not in subdivisions:
            listed = ", ".join(str(s) for s in supported[code]) or "none"
            raise ValueError(f"{shown(sub)} is not a subdivision of {code} (known: {listed}).")
        sub = subdivisions[sub.upper()]
    return code, sub


def holiday_dates(
    values: Iterable[date | str], errors: Errors, field: str = "holidays"
) -> tuple[date, ...]:
    kept: set[date] = set()
    for index, value in enumerate(values):
        if isinstance(value, date):
            kept.add(value)
            continue
        key = f"{field}[{index}]"
        text_value = errors.check(key, partial(plain, value, what="holiday date"))
        if not text_value or not text_value.strip():
            continue
        try:
            kept.add(date.fromisoformat(text_value.strip()))
        except ValueError:
            errors.add(key, f"{shown(text_value.strip())} is not a date (use YYYY-MM-DD).")
    return tuple(sorted(kept))


# --- incident reports and attachments -------------------------------------------------------


# The earliest start of an incident: before it, an instant may not even be shown in every zone
# (0001-01-01 in Tokyo is in year 0 in UTC, which datetime cannot hold).
EARLIEST_START = datetime(1970, 1, 1, tzinfo=UTC)


def aware_instant(
    value: datetime | None,
    *,
    what: str,
    not_after: datetime | None = None,
    not_before: datetime | None = None,
) -> datetime | None:
    """An aware datetime within ``not_before`` .. ``not_after``; None when not given."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ValueError(f"The {what} must be a date and time.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"The {what} needs a time zone.")
    shown = value.isoformat(timespec="minutes")
    # the year first: comparing an instant at the edge of datetime's range may overflow
    if not_before is not None and (value.year < not_before.year or value < not_before):
        raise ValueError(
            f"The {what} ({shown}) is before {not_before.day} {not_before:%B %Y}: give the "
            "date it happened."
        )
    if not_after is not None and (value.year > not_after.year + 1 or value > not_after):
        raise ValueError(f"The {what} ({shown}) is in the future.")
    return value


_REPORT_TEXT = {
    "affected": "description of what is affected",
    "impact": "impact on users",
    "steps": "steps to reproduce",
    "error_message": "error message",
}


def report_fields(raw: Mapping[str, Any], errors: Errors, *, now: datetime) -> dict[str, Any]:
    """The report items given in ``raw`` as event data; blank text items are left out.

    ``started_at`` must be aware and not after ``now``; it is kept as ISO text with its offset,
    plus ``started_zone`` when it carries an IANA zone, so it reads back in the zone it was
    reported in.
    """
    out: dict[str, Any] = {}
    for key, what in _REPORT_TEXT.items():
        if key in raw:
            value = errors.check(key, partial(text, str(raw[key] or ""), what=what, required=False))
            if value:
                out[key] = value
    if raw.get("started_at") is not None:
        started = errors.check(
            "started_at",
            partial(
                aware_instant,
                raw["started_at"],
                what="start of the incident",
                not_after=now,
                not_before=EARLIEST_START,
            ),
        )
        if started is not None:
            out["started_at"] = started.isoformat()
            if isinstance(started.tzinfo, ZoneInfo):
                out["started_zone"] = started.tzinfo.key
    return out


_BAD_FILENAME = re.compile(r'[\\/:*?"<>|]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10))} | {
    f"LPT{i}" for i in range(1, 10)
}


def filename(value: str) -> str:
    """A plain file name that is safe to save on any desktop system."""
    file_name = unicodedata.normalize("NFC", (value or "").strip())
    if not file_name:
        raise ValueError("The file name is required.")
    if len(file_name) > FILENAME_MAX:
        raise ValueError(f"The file name is longer than {FILENAME_MAX} characters.")
    if file_name in {".", ".."} or _BAD_FILENAME.search(file_name):
        raise ValueError(
            f'"{file_name}" is not a plain file name: it may not contain \\ / : * ? " < > |.'
        )
    if any(unicodedata.category(ch) == "Cc" for ch in file_name):
        raise ValueError(f"{file_name!r} contains control characters.")
    if file_name.split(".")[0].upper() in _RESERVED:
        raise ValueError(f'"{file_name}" is a reserved device name on Windows.')
    return file_name


def attachment(file_name: str, content: bytes, limit: int = ATTACHMENT_LIMIT) -> tuple[str, bytes]:
    checked = filename(file_name)
    if not isinstance(content, bytes | bytearray | memoryview):
        raise ValueError(f'"{checked}" has no file content.')
    data = bytes(content)
    if not data:
        raise ValueError(f'"{checked}" is empty.')
    if len(data) > limit:
        raise ValueError(
            f'"{checked}" is {format_size(len(data))}; attachments may be at most '
            f"{format_size(limit)}."
        )
    return checked, data


def format_size(n: int) -> str:
    """A file size as people read it: ``120 bytes``, ``47.1 KiB``, ``1.7 MiB``."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} bytes"
