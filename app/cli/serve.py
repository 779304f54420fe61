"""``alluvium serve`` and ``alluvium demo``."""

from __future__ import annotations

import click
from flask import Flask

from app.cli._common import _app, _friendly


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@_friendly
def serve(host: str, port: int) -> None:
    """Serve the application (threaded development server; use gunicorn in production).

    Due jobs run in a background thread unless JOBS_BACKGROUND_RUNNER is false."""
    _serve(_app(check=True), host, port)


def _serve(app: Flask, host: str, port: int) -> None:
    from werkzeug.serving import run_simple

    click.echo(f"Alluvium on http://{host}:{port}/  (instance {app.instance_path})", err=True)
    if app.config["JOBS_BACKGROUND_RUNNER"]:
        from app.jobs_runtime import start_background_runner

        start_background_runner(app)
        click.echo(
            f"running due jobs in the background every {app.config['JOBS_POLL_SECONDS']:g} s", err=True
        )
    run_simple(host, port, app, threaded=True, use_reloader=False)


@click.command()
@click.option("--serve", "then_serve", is_flag=True, help="Serve the app afterwards.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@_friendly
def demo(then_serve: bool, host: str, port: int) -> None:
    """Migrate, then load demo users, communities and records (idempotent)."""
    from app.demo import load_demo
    from app.migrate import upgrade

    app = _app()
    upgrade(app.config["DATABASE_URL"])
    app = _app(check=True)
    with app.app_context():
        summary = load_demo(app)
        from app.cli.vocab import load_bundled_lines

        summary += load_bundled_lines(app)
    for line in summary:
        click.echo(line)
    if then_serve:
        _serve(app, host, port)
