"""Metadata proposed from uploaded files, through the real upload (PUT) and the API."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from app import create_app
from app.db import new_session
from app.models import FileExtraction, Job
from app.services import jobs
from schemas.examples import minimal_example
from tests.conftest import Api, Factory, make_test_config

netCDF4 = pytest.importorskip("netCDF4")


def netcdf_bytes(tmp_path: Path, title: str = "Iroise buoys 2019") -> bytes:
    path = tmp_path / f"{abs(hash(title))}.nc"
    with netCDF4.Dataset(path, "w", format="NETCDF4") as ds:
        ds.title = title
        ds.geospatial_lat_min, ds.geospatial_lat_max = 47.9, 48.6
        ds.geospatial_lon_min, ds.geospatial_lon_max = -5.3, -4.4
        ds.createDimension("time", 2)
        time = ds.createVariable("time", "f8", ("time",))
        time.units, time.standard_name = "days since 2019-01-01", "time"
        time[:] = [0, 364]
    return path.read_bytes()


@pytest.fixture
def producer(factory: Factory) -> Api:
    factory.community("theia")
    return factory.user("producer@example.org")


def draft(api: Api) -> str:
    r = api.post("/api/records", json={"metadata": minimal_example(), "community": "theia"})
    assert r.status_code == 201, r.json
    return r.json["id"]


def extraction_rows(app) -> list[FileExtraction]:  # type: ignore[no-untyped-def]
    with new_session(app) as s:
        return list(s.scalars(select(FileExtraction).order_by(FileExtraction.id)))


def test_upload_queues_extraction_and_the_api_serves_the_proposal(
    producer: Api, factory: Factory, app, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    r = producer.put(f"/api/records/{rid}/draft/files/data/buoys_2019.nc", data=netcdf_bytes(tmp_path))
    assert r.status_code == 201, r.json
    body = producer.get(f"/api/records/{rid}/draft/files/data/buoys_2019.nc/metadata")
    assert body.status_code == 200, body.json
    got = body.json
    assert got["state"] == "done", got
    assert got["format"] == "netcdf"
    assert got["fragment"]["titles"] == [{"text": "Iroise buoys 2019"}]
    assert got["fragment"]["spatial_extents"] == [
        {"bbox": {"west": -5.3, "east": -4.4, "south": 47.9, "north": 48.6}}
    ]
    assert got["fragment"]["temporal_extents"] == [{"start": "2019-01-01", "end": "2019-12-31"}]
    assert got["sources"]["/titles/0"] == "from buoys_2019.nc: global attribute title"
    assert got["checksum"]["sha256"] == r.json["checksum"]["sha256"]
    # The proposal is not applied to the record.
    assert producer.get(f"/api/records/{rid}/draft").json["metadata"]["titles"] == minimal_example()["titles"]
    # Same permission as the draft's files.
    other = factory.user("other@example.org")
    assert other.get(f"/api/records/{rid}/draft/files/data/buoys_2019.nc/metadata").status_code == 403
    anon = factory.anonymous().get(f"/api/records/{rid}/draft/files/data/buoys_2019.nc/metadata")
    assert anon.status_code == 401 and anon.json["message"]


def test_unknown_file_is_a_json_404(producer: Api) -> None:
    rid = draft(producer)
    r = producer.get(f"/api/records/{rid}/draft/files/nope.nc/metadata")
    assert r.status_code == 404
    assert "nope.nc" in r.json["message"]


def test_a_file_without_metadata_answers_nothing(producer: Api) -> None:
    rid = draft(producer)
    producer.put(f"/api/records/{rid}/draft/files/readme.txt", data=b"hello")
    got = producer.get(f"/api/records/{rid}/draft/files/readme.txt/metadata").json
    assert got["state"] == "nothing"
    assert got["reason"].startswith("no reader for readme.txt")
    assert got["fragment"] == {}


def test_a_failed_upload_queues_nothing(producer: Api, app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    r = producer.put(
        f"/api/records/{rid}/draft/files/buoys.nc",
        data=netcdf_bytes(tmp_path),
        headers={"Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="},
    )
    assert r.status_code == 400
    assert extraction_rows(app) == []
    with new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Job).where(Job.kind == "extract-file-metadata")) == 0


def test_with_a_worker_the_state_is_pending_until_the_job_runs(
    database_url: str, instance: Path, tmp_path: Path
) -> None:
    app = create_app(make_test_config(database_url, instance, JOBS_EAGER=False))
    try:
        factory = Factory(app, app.test_client())
        factory.community("theia")
        api = factory.user("producer@example.org")
        rid = draft(api)
        assert (
            api.put(f"/api/records/{rid}/draft/files/buoys.nc", data=netcdf_bytes(tmp_path)).status_code
            == 201
        )
        pending = api.get(f"/api/records/{rid}/draft/files/buoys.nc/metadata").json
        assert pending["state"] == "pending" and pending["fragment"] == {}
        with app.app_context():
            # The publish job of no record may share the queue; only extraction jobs are queued here.
            assert jobs.run_pending(app.extensions["alluvium.sessionmaker"]) == (1, 0)
        done = api.get(f"/api/records/{rid}/draft/files/buoys.nc/metadata").json
        assert done["state"] == "done"
        assert done["fragment"]["titles"] == [{"text": "Iroise buoys 2019"}]
    finally:
        app.extensions["alluvium.engine"].dispose()


def test_replacing_a_file_proposes_from_the_new_content(producer: Api, app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    url = f"/api/records/{rid}/draft/files/buoys.nc"
    assert producer.put(url, data=netcdf_bytes(tmp_path, "First")).status_code == 201
    assert producer.put(url, data=netcdf_bytes(tmp_path, "Second")).status_code == 200
    assert producer.get(url + "/metadata").json["fragment"]["titles"] == [{"text": "Second"}]
    assert [r.state for r in extraction_rows(app)] == ["done", "done"]


def test_concurrent_identical_uploads_queue_one_extraction(
    producer: Api, app, live_server: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    url = f"{live_server}/api/records/{rid}/draft/files/buoys.nc"
    headers = {"Authorization": f"Bearer {producer.token}"}
    assert (
        requests.put(url, data=netcdf_bytes(tmp_path, "v1"), headers=headers, timeout=60).status_code == 201
    )
    body = netcdf_bytes(tmp_path, "v2")
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def put() -> None:
        barrier.wait()
        statuses.append(requests.put(url, data=body, headers=headers, timeout=120).status_code)

    threads = [threading.Thread(target=put) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert sorted(statuses) == [200, 200, 200, 200]
    rows = extraction_rows(app)
    assert len(rows) == 2  # v1 and v2, once each (unique on record, key, content)
    assert {r.state for r in rows} == {"done"}
    got = requests.get(url + "/metadata", headers=headers, timeout=30).json()
    assert got["fragment"]["titles"] == [{"text": "v2"}]


CSV = b"latitude,longitude,time\n48.1,-4.5,2019-01-01\n48.6,-4.4,2019-06-30\n"


def test_after_a_rename_the_notes_name_the_file_as_it_is_now(producer: Api, client) -> None:  # type: ignore[no-untyped-def]
    rid = draft(producer)
    assert producer.put(f"/api/records/{rid}/draft/files/old-name.csv", data=CSV).status_code == 201
    before = producer.get(f"/api/records/{rid}/draft/files/old-name.csv/metadata").json
    assert before["sources"]["/spatial_extents/0"].startswith("from old-name.csv: ")
    r = producer.patch(f"/api/records/{rid}/draft/files/old-name.csv", json={"key": "series/new name.csv"})
    assert r.status_code == 200, r.json
    got = producer.get(f"/api/records/{rid}/draft/files/series/new name.csv/metadata").json
    assert got["state"] == "done"
    assert got["fragment"] == before["fragment"]
    assert set(got["sources"]) == set(before["sources"])
    for pointer, note in got["sources"].items():
        assert note == before["sources"][pointer].replace("from old-name.csv: ", "from new name.csv: ", 1)
    assert "old-name" not in got["reason"] and got["reason"].endswith("from new name.csv"), got["reason"]
    # The form's suggestions say the same.
    from tests.test_files_rename_delete import sign_in

    sign_in(client, "producer@example.org")
    html = client.get(f"/records/{rid}/edit/files/series/new name.csv/proposals").get_data(as_text=True)
    assert "from new name.csv: " in html and "old-name" not in html


def test_a_file_renamed_before_its_extraction_ran_is_read_under_its_new_name(
    database_url: str, instance: Path
) -> None:
    app = create_app(make_test_config(database_url, instance, JOBS_EAGER=False))
    try:
        factory = Factory(app, app.test_client())
        factory.community("theia")
        api = factory.user("producer@example.org")
        rid = draft(api)
        assert api.put(f"/api/records/{rid}/draft/files/first.txt", data=CSV).status_code == 201
        r = api.patch(f"/api/records/{rid}/draft/files/first.txt", json={"key": "stations.csv"})
        assert r.status_code == 200, r.json
        assert api.get(f"/api/records/{rid}/draft/files/stations.csv/metadata").json["state"] == "pending"
        with app.app_context():
            assert jobs.run_pending(app.extensions["alluvium.sessionmaker"]) == (1, 0)
        got = api.get(f"/api/records/{rid}/draft/files/stations.csv/metadata").json
        # Read as a CSV (the new name's extension), and the notes name stations.csv.
        assert got["state"] == "done", got
        assert got["fragment"]["spatial_extents"] == [
            {"bbox": {"west": -4.5, "east": -4.4, "south": 48.1, "north": 48.6}}
        ]
        assert got["sources"]["/spatial_extents/0"].startswith("from stations.csv: ")
    finally:
        app.extensions["alluvium.engine"].dispose()
