"""Business rules: accounts, people, the ledger, the request workflow, permissions and the login guard.

No request, no blueprint, never a commit: rules add to the session and the caller commits."""
