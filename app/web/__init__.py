"""The web layer: app factory, middleware, templating, static files, route dependencies, routes/.
May use: app.plan, app.caching, app.history, app.browse, app.accounts, app.editing."""
