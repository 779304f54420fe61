"""PostgreSQL-only probes used by the streaming tests."""

from __future__ import annotations

from sqlalchemy import text

from app.db import new_session


def transactions_held_across(app, seconds: float) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Backends of this database sitting "idle in transaction" for longer than ``seconds``.

    A backend is briefly idle in transaction between two statements of any short transaction
    (a job runner's claim, a request's commit): a single look at ``pg_stat_activity`` can catch
    that. A transaction held while a request body streams has been idle since before the body
    started, so it shows up here once the test has streamed for longer than ``seconds``.
    """
    with new_session(app) as s:
        rows = s.execute(
            text(
                "SELECT pid, state, left(query, 200) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND state LIKE 'idle in transaction%' "
                "AND clock_timestamp() - state_change > make_interval(secs => :s)"
            ),
            {"s": seconds},
        ).all()
    return [tuple(r) for r in rows]
