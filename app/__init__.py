"""Peaceplan. The foundation (config, db, migrate) uses no package; packages sit on it, app.plan at
the bottom, app.web at the top; the entry points (cli, main) may use them all."""
