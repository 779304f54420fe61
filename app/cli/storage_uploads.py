"""``alluvium storage expire-uploads``: remove abandoned resumable uploads."""

from __future__ import annotations

import click

from app.cli._common import _app


@click.command("expire-uploads")
def storage_expire_uploads() -> None:
    """Remove resumable uploads idle for longer than UPLOAD_EXPIRY_SECONDS, with their partial
    data, and partial files no upload names any more. The background runner does the same
    every UPLOAD_EXPIRY_CHECK_SECONDS."""
    from app.db import new_session
    from app.services.uploads import expire

    app = _app(check=True)
    report = expire(
        lambda: new_session(app),
        app.extensions["alluvium.uploads_dir"],
        grace_seconds=app.config["UPLOAD_EXPIRY_SECONDS"],
    )
    click.echo(
        f"{report.expired} expired upload(s) removed, {report.orphans} orphaned partial file(s) removed"
    )
