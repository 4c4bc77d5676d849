"""People who sign in to the dashboard: accounts per company, roles, passwords, invitations."""
