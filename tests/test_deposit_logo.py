"""The dataset logo upload of the deposit form (app/web/deposit/logo.py)."""

from __future__ import annotations

import io
import re

from schemas.examples import minimal_example
from tests.test_web_deposit import new_draft, sign_in

# A 1x1 PNG (the smallest valid one).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _setup(factory, client):  # type: ignore[no-untyped-def]
    producer = factory.user("logo@example.org")
    rid = new_draft(producer, minimal_example())
    token = sign_in(client, "logo@example.org")
    return producer, rid, token


def post(client, rid: str, token: str, data: bytes, name: str = "logo.png"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/records/{rid}/edit/logo",
        data={"logo": (io.BytesIO(data), name)},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
        content_type="multipart/form-data",
    )


def test_a_png_logo_is_stored_as_a_file_of_the_draft(factory, client) -> None:  # type: ignore[no-untyped-def]
    producer, rid, token = _setup(factory, client)
    r = post(client, rid, token, PNG)
    assert r.status_code == 201, r.json
    assert r.json["key"] == "logo.png" and r.json["mimetype"] == "image/png"
    files = producer.get(f"/api/records/{rid}/files").json
    assert "logo.png" in str(files)
    image = client.get(r.json["url"])
    assert image.status_code == 200 and image.data == PNG and image.mimetype == "image/png"
    image.close()
    # The form shows the upload widget; once named in graphic_overviews, the thumbnail too.
    html = client.get(f"/records/{rid}/edit").get_data(as_text=True)
    assert 'id="logo-file"' in html and 'id="logo-thumbnail"' in html
    md = producer.get(f"/api/records/{rid}/draft").json
    patch = {"metadata": {"graphic_overviews": [{"file": "logo.png", "type": "logo"}]}}
    assert (
        producer.patch(
            f"/api/records/{rid}/draft", json=patch, headers={"If-Match": f'"{md["revision_id"]}"'}
        ).status_code
        == 200
    )
    html = client.get(f"/records/{rid}/edit").get_data(as_text=True)
    assert re.search(r'<img id="logo-thumbnail"[^>]* src="[^"]*/draft/files/logo.png"', html)


def test_not_an_image_or_svg_is_refused_naming_the_field(factory, client) -> None:  # type: ignore[no-untyped-def]
    producer, rid, token = _setup(factory, client)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for data, name in ((svg, "logo.svg"), (b"%PDF-1.7 not an image", "logo.png")):
        r = post(client, rid, token, data, name)
        assert r.status_code == 400
        assert r.json["errors"][0]["field"] == "/logo"
        assert "PNG, JPEG, GIF or WebP" in r.json["errors"][0]["messages"][0]
    assert "logo" not in str(producer.get(f"/api/records/{rid}/files").json)


def test_a_logo_over_the_size_limit_is_refused(app, factory, client) -> None:  # type: ignore[no-untyped-def]
    app.config["LOGO_MAX_SIZE"] = 1024
    producer, rid, token = _setup(factory, client)
    r = post(client, rid, token, PNG + b"\0" * 2000)
    assert r.status_code == 413
    assert r.json["errors"][0]["field"] == "/logo" and "1 KiB" in r.json["errors"][0]["messages"][0]
    assert "logo" not in str(producer.get(f"/api/records/{rid}/files").json)


def test_only_the_owner_uploads_a_logo(factory, client) -> None:  # type: ignore[no-untyped-def]
    owner = factory.user("owner@example.org")
    rid = new_draft(owner, minimal_example())
    factory.user("other@example.org")
    token = sign_in(client, "other@example.org")
    assert post(client, rid, token, PNG).status_code == 404
