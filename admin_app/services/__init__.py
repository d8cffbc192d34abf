"""Business rules as plain functions over a session: no request, no current_user, no flash.

Functions flush; the caller (a view or a CLI command) commits."""
