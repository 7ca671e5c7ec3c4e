"""Small helpers the customer and policy screens share: status colours, dates, phone numbers."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

import phonenumbers
from PySide6.QtGui import QColor

from console.ui.theme import current_theme


def warning_colour() -> QColor:
    """The theme's at-risk amber: a stale list is a warning, not an error."""
    return current_theme().state_color("at_risk")


def ok_colour() -> QColor:
    return current_theme().state_color("met")


def day_text(at: datetime, zone: tzinfo) -> str:
    """``Tue 10 Mar 2026``: a date people read without thinking."""
    return f"{at.astimezone(zone):%a %d %b %Y}"


def pretty_phone(number: str) -> str:
    """``+442079460040`` → ``+44 20 7946 0040``: stored numbers are E.164, people read groups."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def title_text(text: str) -> str:
    """Text for a group box or button title: a literal ``&`` is not a mnemonic."""
    return text.replace("&", "&&")


def age_text(age: timedelta) -> str:
    days = age.days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"
