"""Changing the plan: forms derived from the tables, form input, writes with version checks, import.
May use: app.plan, app.history."""
