"""Filling a database: the seed files (seed) and labelled synthetic rows for benchmarks (demo).
May use: app.plan, app.caching, app.history, app.evidence, app.search."""
