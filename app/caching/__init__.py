"""Caches keyed on the data version: the version (stamp), per-filter results, public pages.
May use: app.plan."""
