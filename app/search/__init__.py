"""Finding rows by the words a reader types: documents, the full-text index kept current, queries.
May use: app.plan."""
