"""Repositories: SQLAlchemy rows in, frozen domain records out."""
