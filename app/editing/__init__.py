"""Changing the plan: forms derived from the tables, writes with version checks, bulk import.
May use: app.plan, app.history, app.evidence."""
