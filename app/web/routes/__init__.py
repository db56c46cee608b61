"""The routes, one module per group of pages: rows, api, overview, maps, editing, changes, history,
importing, auth, admin_users, account."""
