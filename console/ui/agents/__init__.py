"""Settings → Agents: who works here, their roles, and the record of changes."""

from console.ui.agents.dialog import AgentsDialog

__all__ = ["AgentsDialog"]
