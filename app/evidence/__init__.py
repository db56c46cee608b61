"""Evidence behind the figures: quotes anchored in held texts, claims and which one is shown.
May use: app.plan."""
