"""The incident screens: the new-incident form, the detail view and its action dialogs."""

from console.ui.incident.detail import IncidentDetailView
from console.ui.incident.new_form import NewIncidentDialog

__all__ = ["IncidentDetailView", "NewIncidentDialog"]
