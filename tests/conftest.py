"""Test fixtures: a real database (SQLite by default, PostgreSQL when
ALLUVIUM_TEST_DATABASE_URL names one), a fresh instance folder per test, and factories that
build data through the real use cases (never by writing rows directly).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.db import make_engine, new_session
from app.migrate import upgrade
from app.services import accounts
from curation import Actor

PG_URL = os.environ.get("ALLUVIUM_TEST_DATABASE_URL", "")
SHARED = Path(__file__).resolve().parents[2] / "shared" / "standards"


def _memoize_werkzeug_url_builders() -> None:
    """Every test builds a fresh app (create_app), and werkzeug compiles two URL-builder
    functions (Python source via ast + compile) for each of the app's ~150 routes: about 80% of
    create_app's time, paid again for identical routes in every test. The generated code depends
    only on the rule's text, its parsed trace, its defaults and its converters' types (converters
    are looked up through ``self`` at call time), so the same code is reused for the same rule. The routing the
    tests exercise is unchanged; without this private hook (another werkzeug) nothing is cached.
    """
    from werkzeug.routing.rules import Rule

    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "_alluvium_memo", False):
        return
    builders: dict[Any, Any] = {}

    def _compile_builder(self: Rule, *args: Any, **kwargs: Any) -> Any:
        try:
            key = (
                args,
                tuple(sorted(kwargs.items())),
                self.rule,
                self.host,
                self.subdomain,
                tuple(self._trace),
                tuple(sorted((k, repr(v)) for k, v in (self.defaults or {}).items())),
                tuple(sorted((k, type(c).__qualname__) for k, c in self._converters.items())),
            )
            hash(key)
        except Exception:  # noqa: BLE001  (an unexpected rule shape: compile as werkzeug does)
            return original(self, *args, **kwargs)
        if key not in builders:
            builders[key] = original(self, *args, **kwargs)
        return builders[key]

    _compile_builder._alluvium_memo = True  # type: ignore[attr-defined]
    Rule._compile_builder = _compile_builder  # type: ignore[method-assign]


_memoize_werkzeug_url_builders()


def _pg_reachable(url: str) -> str | None:
    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per session: a template SQLite file, or the PostgreSQL test database."""
    if PG_URL:
        problem = _pg_reachable(PG_URL)
        if problem:
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI=true and PostgreSQL at {PG_URL} is unreachable: {problem}")
            pytest.skip(f"PostgreSQL at {PG_URL} is unreachable: {problem}")
        engine = make_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        upgrade(PG_URL)
        return PG_URL
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        engine = make_engine(PG_URL)
        _empty_postgresql(engine)
        engine.dispose()
        yield PG_URL
    else:
        path = tmp_path / "alluvium.db"
        shutil.copy(database_template, path)
        yield f"sqlite:///{path}"


def _empty_postgresql(engine: Any) -> None:
    """Every table empty and every sequence back at its start, as ``TRUNCATE ... RESTART
    IDENTITY CASCADE`` would leave them, but with DELETE: TRUNCATE of the ~40 tables costs about
    a second per test (new files for each table and index), DELETE of a test's few rows a few
    milliseconds. Foreign keys are not checked while emptying (``session_replication_role``,
    which needs a superuser, as CI's ``postgres`` is); without that right, TRUNCATE as before."""
    with engine.begin() as conn:
        tables = (
            conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        sequences = (
            conn.execute(text("SELECT sequencename FROM pg_sequences WHERE schemaname='public'"))
            .scalars()
            .all()
        )
        superuser = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
        if not tables:
            return
        if not superuser:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            return
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in tables:
            conn.execute(text(f'DELETE FROM "{table}"'))
        for sequence in sequences:
            conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


def make_test_config(database_url: str, instance: Path, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "BASE_URL": "http://alluvium.test",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "STORAGE_PATH": str(instance / "storage"),
        **extra,
    }


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "instance"
    monkeypatch.setenv("ALLUVIUM_INSTANCE_PATH", str(path))
    return path


@pytest.fixture
def app(database_url: str, instance: Path) -> Iterator[Flask]:
    application = create_app(make_test_config(database_url, instance))
    yield application
    engine = application.extensions["alluvium.engine"]
    # A live server's request still in flight at the end of a test (a browser's last autosave)
    # returns its connection after the test: wait for it (bounded), or dispose() leaves that
    # connection outside any pool and it is reported unclosed (ResourceWarning) in a later test.
    checkedout = getattr(engine.pool, "checkedout", lambda: 0)
    deadline = time.monotonic() + 10
    while checkedout() and time.monotonic() < deadline:
        time.sleep(0.02)
    engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Api:
    """A thin JSON client for one user's token, over Flask's test client."""

    def __init__(self, client: FlaskClient, token: str | None):
        self.client = client
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        return h

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, buffered=True, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(
            url, buffered=True, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def put(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.client.put(
            url, buffered=True, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def patch(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch(
            url, buffered=True, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(url, buffered=True, headers=self._headers(kw.pop("headers", None)), **kw)


class Factory:
    """Builds users, communities and tokens through the real account use cases."""

    def __init__(self, app: Flask, client: FlaskClient):
        self.app = app
        self.client = client

    def community(self, slug: str, title: str | None = None) -> str:
        with new_session(self.app) as s:
            accounts.create_community(s, Actor.system_actor(), slug, title or slug.upper())
            s.commit()
        return slug

    def user(
        self,
        email: str,
        role: str = "producer",
        communities: list[str] | None = None,
        scopes: list[str] | None = None,
        password: str = "correct horse battery",
    ) -> Api:
        with new_session(self.app) as s:
            policy = accounts.PasswordPolicy(1, 1024)
            user = accounts.create_user(
                s,
                Actor.system_actor(),
                email,
                role=role,
                communities=communities,
                password=password,
                policy=policy,
            )
            _, secret = accounts.create_token(s, Actor.system_actor(), user, scopes=scopes)
            s.commit()
        return Api(self.client, secret)

    def anonymous(self) -> Api:
        return Api(self.client, None)


@pytest.fixture
def factory(app: Flask, client: FlaskClient) -> Factory:
    return Factory(app, client)


@pytest.fixture
def shared_standards() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"the offline standards bundle is absent ({SHARED}); schema validation tests need it")
    return SHARED


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served on a loopback port by werkzeug's threaded server; yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    # shutdown() waits for the serving loop's next poll: 0.05 s, not the default 0.5 s per test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


CHROMIUM = "/usr/bin/chromium"


def _launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-background-networking",
            "--disable-gpu",
            "--disable-component-update",
        ],
    )


@pytest.fixture(scope="session")
def _chromium() -> Iterator[dict[str, Any]]:
    """One Playwright driver and one chromium for the session (starting them costs seconds per
    test); each test still gets its own contexts (cookies, storage, offline state)."""
    import os
    import shutil

    if not shutil.which(CHROMIUM):
        message = f"Debian's chromium is not installed at {CHROMIUM} (.ci/run installs it: apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    held = {"playwright": playwright, "browser": _launch_chromium(playwright)}
    try:
        yield held
    finally:
        if held["browser"].is_connected():
            held["browser"].close()
        playwright.stop()


@pytest.fixture
def browser(_chromium: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Debian's chromium driven by Playwright (the e2e tests); skips, saying why, without it.
    Shared by the session; the contexts a test opened are closed after it, and a browser that
    went away (crash) is relaunched, so no test sees another's pages or state."""
    if not _chromium["browser"].is_connected():
        _chromium["browser"] = _launch_chromium(_chromium["playwright"])
    b = _chromium["browser"]
    yield b
    if b.is_connected():
        for context in list(b.contexts):
            context.close()
