"""Alerts on what matters: events from the history, subscriptions, the outbox, its worker, feeds.
May use: app.plan, app.evidence, app.history, app.browse, app.following."""
