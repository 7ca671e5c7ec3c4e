"""The lead's policy editor: targets, cadences, thresholds and escalation contacts."""
