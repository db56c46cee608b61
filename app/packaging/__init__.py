"""The plan as a Frictionless Data Package: table schemas, rows chosen, the zip, reloading it.
May use: app.plan, app.browse, app.history, app.search, app.caching, app.backups."""
