"""The escalation panel: incidents eligible for or at Escalation 1 or 2, and both ladders."""

from console.ui.escalations.view import EscalationsView

__all__ = ["EscalationsView"]
