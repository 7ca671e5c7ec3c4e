"""Onboarding and safekeeping (DESIGN §5, §10): importing customers and support lists,
backups, restore, and the full export and its import."""
