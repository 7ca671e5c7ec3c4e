"""History review: search, filters, attainment charts, CSV and PDF exports."""

from console.ui.history.view import HistoryView

__all__ = ["HistoryView"]
