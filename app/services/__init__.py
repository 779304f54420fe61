"""Use cases. Each takes a SQLAlchemy session and an explicit :class:`curation.Actor`.

Services flush but never commit: the caller (a view, the CLI, a job runner) owns the
transaction, commits it, then runs the side effects the use case queued (see ``jobs``).
"""
