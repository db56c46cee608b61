"""Who may do what: users, passwords, sign-in lockout and API tokens (users), who asks (auth), CSRF.
May use: app.plan."""
