"""Customers & support lists (DESIGN §7): customers, windows, ordered support lists."""
