"""Small helpers the customer and policy screens share: status colours, dates, phone numbers."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from PySide6.QtGui import QColor

from console.ui.forms import phone_text
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
    """The one phone format (:func:`console.ui.forms.phone_text`), under its older name."""
    return phone_text(number)


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
