"""Configuration, migrations, the CLI, the OpenAPI document, web sign-in and the job outbox."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest
from conftest import PG_URL, make_test_config
from sqlalchemy import inspect, select

from app import create_app
from app.cli import main as cli
from app.db import make_engine, new_session
from app.migrate import DatabaseNotMigrated, current_revision, downgrade, head_revision, upgrade
from app.models import Job, Record
from schemas.examples import minimal_example


def test_secret_key_generated_once_with_private_mode(app, instance: Path) -> None:  # type: ignore[no-untyped-def]
    key_file = instance / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert app.config["SECRET_KEY"] == key_file.read_text().strip() and len(app.config["SECRET_KEY"]) == 64
    again = create_app(make_test_config(app.config["DATABASE_URL"], instance))
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]
    again.extensions["alluvium.engine"].dispose()


def test_config_precedence_defaults_file_env_test(database_url, instance: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "alluvium.cfg").write_text(
        'REPOSITORY_NAME = "From file"\nAPI_PAGE_SIZE = 7\nBASE_URL = "https://file.example"\n'
    )
    monkeypatch.setenv("ALLUVIUM_API_PAGE_SIZE", "9")
    monkeypatch.setenv("ALLUVIUM_JOBS_EAGER", "false")
    app = create_app(make_test_config(database_url, instance) | {"BASE_URL": "https://test.example/"})
    assert app.config["REPOSITORY_NAME"] == "From file"  # file over default
    assert app.config["API_PAGE_SIZE"] == 9  # environment over file
    assert app.config["JOBS_EAGER"] is False  # JSON-parsed environment value
    assert app.config["BASE_URL"] == "https://test.example"  # test mapping over all, normalised
    assert app.config["MAX_FILE_SIZE"] == 50 * 1024**3  # default
    app.extensions["alluvium.engine"].dispose()


def test_refuses_to_start_on_an_unmigrated_database(tmp_path: Path, instance: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(DatabaseNotMigrated, match="alluvium db upgrade"):
        create_app(make_test_config(url, instance))


def test_migrations_from_empty_up_and_down(tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    url = f"sqlite:///{tmp_path / 'm.db'}"
    if PG_URL:
        # A throw-away database, so that downgrading does not drop the suite's own schema.
        url = _scratch_pg_database(f"{make_url(PG_URL).database}_migration_test")
    upgrade(url)
    engine = make_engine(url)
    assert current_revision(engine) == head_revision(url)
    tables = set(inspect(engine).get_table_names())
    assert {"users", "records", "record_files", "file_objects", "events", "jobs", "api_tokens"} <= tables
    downgrade(url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(url)
    assert current_revision(engine) == head_revision(url)
    engine.dispose()


def _scratch_pg_database(name: str) -> str:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def test_the_test_database_is_at_head(database_url) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    assert current_revision(engine) == head_revision(database_url)
    engine.dispose()


def test_the_models_match_the_migrations(database_url) -> None:  # type: ignore[no-untyped-def]
    """Alembic's autogenerate finds nothing to add: every model change has its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.db import Base
    from app.search.schema import include_object

    engine = make_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": False, "include_object": include_object}
        )
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_cli_users_tokens_and_communities(app) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    env = {
        "ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"],
        "ALLUVIUM_ARGON2_MEMORY_COST": "1024",
        "ALLUVIUM_ARGON2_TIME_COST": "1",
    }
    r = runner.invoke(cli, ["communities", "create", "aeris", "AERIS"], env=env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        cli, ["users", "create", "mod@example.org", "--role", "moderator", "--community", "aeris"], env=env
    )
    assert r.exit_code == 0 and "password:" in r.output
    r = runner.invoke(cli, ["users", "create", "mod@example.org"], env=env)
    assert r.exit_code == 1 and "already exists" in r.output
    r = runner.invoke(cli, ["users", "create", "not-an-email"], env=env)
    assert r.exit_code == 1 and "/email" in r.output
    r = runner.invoke(
        cli, ["users", "create", "x@example.org", "--community", "nowhere", "--role", "moderator"], env=env
    )
    assert r.exit_code == 1 and "nowhere" in r.output
    r = runner.invoke(cli, ["tokens", "create", "mod@example.org", "--scopes", "read,moderate"], env=env)
    assert r.exit_code == 0
    token = r.stdout.strip().splitlines()[-1]
    me = app.test_client().get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert (
        me.status_code == 200
        and me.json["communities"] == ["aeris"]
        and me.json["scopes"] == ["moderate", "read"]
    )
    r = runner.invoke(cli, ["tokens", "create", "mod@example.org", "--scopes", "write"], env=env)
    assert r.exit_code == 1 and "unknown scope" in r.output
    r = runner.invoke(cli, ["users", "list"], env=env)
    assert "mod@example.org\tmoderator\taeris" in r.output


def test_demo_loads_every_state_and_is_idempotent(app) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    env = {
        "ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"],
        "ALLUVIUM_ARGON2_MEMORY_COST": "1024",
        "ALLUVIUM_ARGON2_TIME_COST": "1",
        "ALLUVIUM_STORAGE_PATH": app.config["STORAGE_PATH"],
    }
    r = runner.invoke(cli, ["demo"], env=env)
    assert r.exit_code == 0, r.output
    assert r.output.count("password") == 3
    with new_session(app) as s:
        states = {rec.state for rec in s.scalars(select(Record))}
        count = len(s.scalars(select(Record)).all())
    assert states == {
        "draft",
        "submitted",
        "under_review",
        "changes_requested",
        "resubmitted",
        "published",
        "rejected",
        "withdrawn",
    }
    assert count >= 10
    # The moderation desk has something to show: checklists and a field-level thread with a reply.
    from app.models import Community, ReviewComment

    with new_session(app) as s:
        assert all(len(c.checklist or []) == 3 for c in s.scalars(select(Community)))
        comments = s.scalars(select(ReviewComment)).all()
        assert {(c.anchor_kind, c.anchor) for c in comments} == {("field", "/abstracts/0/text")}
        assert len(comments) == 4  # a thread and its reply, on the changes-requested and resubmitted records
    # Published and withdrawn demo records are harvestable; the Recherche Data Gouv set exists.
    from app.models import OaiItem, OaiSet

    with new_session(app) as s:
        visible = {
            r.id for r in s.scalars(select(Record).where(Record.state.in_(["published", "withdrawn"])))
        }
        items = s.scalars(select(OaiItem)).all()
        assert {i.record_id for i in items} == visible and visible
        assert all("rdg" in i.sets for i in items)
        assert s.get(OaiSet, "rdg").name == "Recherche Data Gouv"
    again = runner.invoke(cli, ["demo"], env=env)
    assert again.exit_code == 0 and "already present" in again.output
    with new_session(app) as s:
        assert len(s.scalars(select(Record)).all()) == count


def test_openapi_document_is_valid_and_covers_every_route(app, client) -> None:  # type: ignore[no-untyped-def]
    from openapi_spec_validator import validate

    doc = client.get("/api/openapi.json").json
    validate(doc)
    documented = {
        (path, method) for path, item in doc["paths"].items() for method in item if method != "parameters"
    }
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = rule.rule.removeprefix("/api")
        for flask_name, name in (
            ("<record_id>", "{id}"),
            ("<path:key>", "{key}"),
            ("<action>", "{action}"),
            ("<int:token_id>", "{token_id}"),
        ):
            path = path.replace(flask_name, name)
        for converter in ("<path:", "<int:", "<"):
            if converter in path:
                path = path.replace(converter, "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    assert routes - documented == set()
    assert documented - routes == set()


def test_web_sign_in_session_and_csrf(factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("web@example.org")
    page = client.get("/login")
    assert page.status_code == 200
    csrf = page.data.decode().split('name="_csrf" value="')[1].split('"')[0]
    bad = client.post(
        "/login", data={"email": "web@example.org", "password": "wrong password!", "_csrf": csrf}
    )
    assert bad.status_code == 401 and b"wrong password" in bad.data
    forged = client.post("/login", data={"email": "web@example.org", "password": "correct horse battery"})
    assert forged.status_code == 400
    ok = client.post(
        "/login?next=//evil.example",
        data={"email": "web@example.org", "password": "correct horse battery", "_csrf": csrf},
    )
    assert ok.status_code == 302 and ok.headers["Location"] == "/me"
    assert client.get("/api/me").json["email"] == "web@example.org"  # the session works for the API too
    dash = client.get("/me")
    assert dash.status_code == 200 and b"My datasets" in dash.data
    csrf = client.get("/me").data.decode().split('name="_csrf" value="')[1].split('"')[0]
    assert client.post("/logout", data={"_csrf": csrf}).status_code == 302
    assert client.get("/me").status_code == 302
    assert client.get("/api/me").status_code == 401


def test_a_failing_publication_job_leaves_the_record_accepted_and_retries(factory, app) -> None:  # type: ignore[no-untyped-def]
    from app.services import jobs

    factory.community("aeris")
    producer = factory.user("p@example.org")
    mod = factory.user("m@example.org", role="moderator", communities=["aeris"])
    rid = producer.post("/api/records", json={"metadata": minimal_example(), "community": "aeris"}).json["id"]
    producer.post(f"/api/records/{rid}/draft/actions/submit", json={})
    mod.post(f"/api/records/{rid}/review/actions/assign", json={})
    app.config["PID_PROVIDER"] = "no-such-provider"  # a misconfigured PID service
    r = mod.post(f"/api/records/{rid}/review/actions/accept", json={})
    assert r.status_code == 200 and r.json["state"] == "accepted"
    with new_session(app) as s:
        job = s.scalars(select(Job).where(Job.kind == "publish")).one()
        assert job.state == "pending" and job.attempts == 1 and "no-such-provider" in job.last_error
        job.run_after = job.created_at  # due again now
        s.commit()
    app.config["PID_PROVIDER"] = "local"
    with app.app_context():
        # The publication, then the archival package (docs/preservation.md) and the producer's
        # "published" e-mail (app/services/notifications.py) it queues.
        assert jobs.run_pending(app.extensions["alluvium.sessionmaker"]) == (3, 0)
    assert factory.anonymous().get(f"/api/records/{rid}").json["state"] == "published"


def test_environment_has_no_secret_in_the_repository() -> None:
    root = Path(__file__).resolve().parents[1]
    tracked = subprocess.run(
        ["git", "-C", str(root), "ls-files"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert not any(name.endswith("secret_key") or name.startswith("instance/") for name in tracked)


def test_fixity_audit_detects_a_corrupted_object(factory, app) -> None:  # type: ignore[no-untyped-def]
    producer = factory.user("p@example.org")
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"a,b\n1,2\n")
    producer.put(f"/api/records/{rid}/draft/files/b.csv", data=b"c,d\n3,4\n")
    env = {
        "ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"],
        "ALLUVIUM_STORAGE_PATH": app.config["STORAGE_PATH"],
    }
    runner = app.test_cli_runner()
    r = runner.invoke(cli, ["storage", "verify"], env=env)
    assert r.exit_code == 0 and "2 object(s) checked, 0 failed" in r.output
    target = next(p for p in Path(app.config["STORAGE_PATH"]).rglob("*") if p.is_file())
    target.chmod(0o644)
    target.write_bytes(b"tampered")
    r = runner.invoke(cli, ["storage", "verify"], env=env)
    assert r.exit_code == 1 and f"FAILED {target.name}" in r.output and "1 failed" in r.output
    from app.models import FileObject

    with new_session(app) as s:
        assert s.get(FileObject, target.name).fixity_ok is False


def test_storage_cleanup_finds_unreferenced_objects(factory, app) -> None:  # type: ignore[no-untyped-def]
    producer = factory.user("p@example.org")
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"keep")
    producer.put(f"/api/records/{rid}/draft/files/b.csv", data=b"drop")
    producer.delete(f"/api/records/{rid}/draft/files/b.csv")
    env = {
        "ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"],
        "ALLUVIUM_STORAGE_PATH": app.config["STORAGE_PATH"],
        "ALLUVIUM_STORAGE_CLEANUP_GRACE": "0",  # the objects were just stored
    }
    runner = app.test_cli_runner()
    r = runner.invoke(cli, ["storage", "cleanup"], env=env)
    assert r.exit_code == 0 and "1 unreferenced object(s) found" in r.output
    r = runner.invoke(cli, ["storage", "cleanup", "--delete-unreferenced"], env=env)
    assert "1 unreferenced object(s) deleted" in r.output
    assert producer.get(f"/api/records/{rid}/files/a.csv").data == b"keep"
    objects = [p for p in Path(app.config["STORAGE_PATH"]).rglob("*") if p.is_file()]
    assert len(objects) == 1
