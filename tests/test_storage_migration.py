"""``alluvium storage migrate --to s3``: every object copied and verified, resumable."""

from __future__ import annotations

import hashlib
import os

from app.cli import main as cli
from app.db import new_session
from app.models import FileObject
from app.storage import open_store
from schemas.examples import minimal_example
from tests._s3 import moto_endpoint, new_bucket, s3_config  # noqa: F401


def test_migrate_to_s3_resumes_after_a_failing_object(app, factory, moto_endpoint: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    factory.community("theia")
    producer = factory.user("producer@example.org")
    rid = producer.post("/api/records", json={"metadata": minimal_example(), "community": "theia"}).json["id"]
    bodies = {f"f{i}.bin": os.urandom(1000 + i) for i in range(5)}
    for key, body in bodies.items():
        assert producer.put(f"/api/records/{rid}/draft/files/{key}", data=body).status_code == 201
    shas = sorted(hashlib.sha256(b).hexdigest() for b in bodies.values())

    # One object is damaged on disk: its copy must fail (the target re-hashes) and the
    # others go through; then the object is repaired and the rerun copies only it.
    local = app.extensions["alluvium.store"]
    victim = shas[2]
    path = local.local_path(victim)
    original = path.read_bytes()
    os.chmod(path, 0o644)
    path.write_bytes(b"X" + original[1:])

    bucket = new_bucket(moto_endpoint)
    env = {
        f"ALLUVIUM_{k}": str(v) for k, v in s3_config(moto_endpoint, bucket).items() if k != "STORAGE_BACKEND"
    }
    env["ALLUVIUM_DATABASE_URL"] = app.config["DATABASE_URL"]
    runner = app.test_cli_runner()
    first = runner.invoke(cli, ["storage", "migrate", "--to", "s3"], env=env)
    assert first.exit_code == 1, first.output
    assert f"FAILED {victim}: sha256 mismatch" in first.output
    assert "4 copied, 0 already present, 1 failed" in first.output
    target = open_store(s3_config(moto_endpoint, bucket))
    assert sorted(target.iter_objects()) == [s for s in shas if s != victim]
    assert target.temporary_keys() == []

    path.write_bytes(original)
    second = runner.invoke(cli, ["storage", "migrate", "--to", "s3"], env=env)
    assert second.exit_code == 0, second.output
    assert "1 copied, 4 already present, 0 failed" in second.output
    assert sorted(target.iter_objects()) == shas
    assert all(target.verify(sha) for sha in shas)
    with new_session(app) as s:
        assert sorted(o.sha256 for o in s.query(FileObject)) == shas


def test_migrate_refuses_an_unconfigured_target(app) -> None:  # type: ignore[no-untyped-def]
    r = app.test_cli_runner().invoke(
        cli, ["storage", "migrate", "--to", "s3"], env={"ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"]}
    )
    assert r.exit_code == 1
    assert "S3_BUCKET must be set" in r.output
