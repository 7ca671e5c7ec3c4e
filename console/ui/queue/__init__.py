"""The queue screen: open incidents by next deadline, with live SLA countdowns (DESIGN §7)."""
