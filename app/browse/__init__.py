"""Reading the plan: list, facet and detail queries, the overview's figures, charts and map data.
May use: app.plan, app.caching, app.search."""
