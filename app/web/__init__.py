"""The web layer: app factory, middleware, templating, form input, static files, deps, routes/.
May use: app.plan, app.caching, app.history, app.browse, app.accounts, app.editing, app.evidence, app.search, app.packaging, app.following, app.alerts."""  # noqa: E501
