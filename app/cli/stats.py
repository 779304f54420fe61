"""``alluvium stats``: COUNTER usage statistics (Code of Practice for Research Data)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from app.cli._common import _app, _friendly


@click.group()
def stats() -> None:
    """Usage statistics: views (investigations) and downloads (requests). See docs/operations.md."""


@stats.command("report")
@click.option("--month", required=True, help="Reporting month, YYYY-MM (UTC).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the report to this file (default: standard output).",
)
@_friendly
def report(month: str, out: Path | None) -> None:
    """Write the Dataset Master Report (DSR, release rd1) of MONTH as JSON, the body DataCite's
    usage reports API takes. The month's raw events (hashed sessions) are folded into monthly
    counts and deleted first."""
    from app.db import new_session
    from app.services import usage

    try:
        usage.month_bounds(month)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None
    app = _app(check=True)
    with new_session(app) as session:
        body = usage.dataset_report(
            session,
            month,
            base_url=app.config["BASE_URL"],
            platform=app.config["REPOSITORY_NAME"],
            publisher=app.config["REPOSITORY_NAME"],
            client_id=app.config.get("DATACITE_USERNAME") or app.config["REPOSITORY_NAME"],
            created_by=app.config["REPOSITORY_NAME"],
        )
        session.commit()
    text = json.dumps(body, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"{out}: {len(body['report-datasets'])} datasets", err=True)
