"""Changes recorded and read back: record, revert, describe, changelog, compare, asof, feed.
May use: app.plan, app.evidence, app.search."""
