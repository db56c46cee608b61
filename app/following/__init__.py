"""Following the plan: saved views (named addresses of pages with their filter).
May use: app.plan, app.browse."""
