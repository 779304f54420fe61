"""Data management plan pages (/dmps) over Flask's test client, signed in with a session."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lxml import html as lhtml

from app.db import new_session
from app.models import Dmp
from tests.test_web_deposit import sign_in

DATA = Path(__file__).parent / "data" / "madmp"


def form_pairs(page: str, form_id: str) -> list[tuple[str, str]]:
    """What a browser posts from the form: every named input, select and textarea."""
    doc = lhtml.fromstring(page)
    form = doc.get_element_by_id(form_id)
    return [(k, v or "") for k, v in form.form_values()]


def multi(pairs):  # type: ignore[no-untyped-def]
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


def import_plan(client, token: str, name: str = "tool-dmpopidor-1.1.json"):  # type: ignore[no-untyped-def]
    body = (DATA / name).read_bytes()
    return client.post(
        "/dmps/import",
        data={"how": "file", "_csrf": token, "file": (__import__("io").BytesIO(body), name)},
        content_type="multipart/form-data",
    )


def pdf_text(data: bytes) -> str:
    """The text drawn in a PDF written with the built-in Latin-1 fonts: its content streams
    inflated, the ``(...)`` strings of the text operators joined."""
    import zlib

    out = []
    for chunk in data.split(b"stream\n")[1:]:
        body = chunk.split(b"\nendstream")[0]
        try:
            content = zlib.decompress(body).decode("latin-1")
        except zlib.error:
            continue
        out += re.findall(r"\(((?:[^()\\]|\\.)*)\)\s*Tj", content)
    return " ".join(out).replace("\\(", "(").replace("\\)", ")")


def only_plan_id(app) -> str:  # type: ignore[no-untyped-def]
    with new_session(app) as s:
        return s.query(Dmp).one().id


def test_import_page_reports_and_plan_page_shows_datasets(app, factory, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The PDF's text is checked with the built-in Latin-1 font (no DejaVu), readable without a PDF library.
    monkeypatch.setattr("app.web.dmps.pdf.FONT_DIRS", ())
    factory.user("w@example.org")
    token = sign_in(client, "w@example.org")
    assert "Import a plan" in client.get("/dmps").get_data(as_text=True)
    r = import_plan(client, token)
    html = r.get_data(as_text=True)
    assert r.status_code == 201, html
    assert "/dmp/extension" in html and "maDMP 1.2" in html
    dmp_id = only_plan_id(app)
    page = client.get(f"/dmps/{dmp_id}").get_data(as_text=True)
    assert "Profils CTD des campagnes SWOT-Côtier" in page
    assert "Start the deposit of this dataset" in page
    assert "2 GB" in page  # the planned byte size, for people
    fr = client.get(f"/dmps/{dmp_id}/export.html?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in fr and "Jeux de données" in fr and "Données personnelles" in fr
    en = client.get(f"/dmps/{dmp_id}/export.html?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in en and "Personal data" in en
    pdf = client.get(f"/dmps/{dmp_id}/export.pdf?lang=fr")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-") and b"%%EOF" in pdf.data[-10:]
    text = pdf_text(pdf.data)
    assert "Jeux de données" in text and "Profils CTD des campagnes SWOT-Côtier" in text
    assert "Personal data" in pdf_text(client.get(f"/dmps/{dmp_id}/export.pdf?lang=en").data)


def test_invalid_import_lists_pointers_and_saves_nothing(app, factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("w@example.org")
    token = sign_in(client, "w@example.org")
    doc = json.loads((DATA / "ex8-dmp-minimal-content.json").read_text())
    doc["dmp"]["dataset"][0]["sensitive_data"] = "perhaps"
    r = client.post("/dmps/import", data={"how": "file", "_csrf": token, "text": json.dumps(doc)})
    assert r.status_code == 400
    assert "/dmp/dataset/0/sensitive_data" in r.get_data(as_text=True)
    with new_session(app) as s:
        assert s.query(Dmp).count() == 0


def test_edit_form_round_trip_autosave_and_errors(app, factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("w@example.org")
    token = sign_in(client, "w@example.org")
    import_plan(client, token)
    dmp_id = only_plan_id(app)
    page = client.get(f"/dmps/{dmp_id}/edit").get_data(as_text=True)
    pairs = form_pairs(page, "dmp-form")
    names = dict(pairs)
    assert names["/dataset/0/keyword"] == "CTD\nsalinité\nIroise"
    assert names["/dataset/0/distribution/0/byte_size"] == "2000000000"
    # Posting the form unchanged keeps the plan's datasets as they were.
    with new_session(app) as s:
        before = s.get(Dmp, dmp_id).plan
    r = client.post(f"/dmps/{dmp_id}/edit", data=multi(pairs))
    assert r.status_code == 303
    with new_session(app) as s:
        after = s.get(Dmp, dmp_id).plan
    assert after["dataset"] == before["dataset"]
    assert after["contributor"] == before["contributor"]

    # The autosave: JSON answer, field errors by pointer, nothing written on error.
    page = client.get(f"/dmps/{dmp_id}/edit").get_data(as_text=True)
    pairs = dict(form_pairs(page, "dmp-form"))
    pairs["/dataset/1/title"] = ""
    pairs["/dataset/0/distribution/0/byte_size"] = "two gigas"
    r = client.post(f"/dmps/{dmp_id}/edit", data=pairs, headers={"Accept": "application/json"})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/dataset/0/distribution/0/byte_size"
    pairs["/dataset/0/distribution/0/byte_size"] = "3000000000"
    r = client.post(f"/dmps/{dmp_id}/edit", data=pairs, headers={"Accept": "application/json"})
    assert r.status_code == 400 and [e["field"] for e in r.json["errors"]] == ["/dataset/1/title"]
    pairs["/dataset/1/title"] = "Photos du trait de côte"
    r = client.post(f"/dmps/{dmp_id}/edit", data=pairs, headers={"Accept": "application/json"})
    assert r.status_code == 200, r.json
    with new_session(app) as s:
        plan = s.get(Dmp, dmp_id).plan
    assert plan["dataset"][1]["title"] == "Photos du trait de côte"
    assert plan["dataset"][0]["distribution"][0]["byte_size"] == 3_000_000_000
    # A stale revision is refused.
    r = client.post(f"/dmps/{dmp_id}/edit", data=pairs, headers={"Accept": "application/json"})
    assert r.status_code == 412

    # The PDF with the system's DejaVu fonts when installed (every character), else Helvetica.
    pdf = client.get(f"/dmps/{dmp_id}/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")

    # Versions page lists the edit with what changed.
    history = client.get(f"/dmps/{dmp_id}/versions").get_data(as_text=True)
    assert "/dataset/1/title" in history and "Photos du trait de côte" in history


def test_add_dataset_and_no_js_errors(app, factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("w@example.org")
    token = sign_in(client, "w@example.org")
    r = client.post("/dmps", data={"_csrf": token, "title": "Plan OSU"})
    assert r.status_code == 303
    dmp_id = only_plan_id(app)
    page = client.get(f"/dmps/{dmp_id}/edit").get_data(as_text=True)
    pairs = form_pairs(page, "dmp-form")
    r = client.post(f"/dmps/{dmp_id}/edit", data=multi([*pairs, ("_op", "add:/dataset")]))
    assert r.status_code == 303 and "add=/dataset" in r.headers["Location"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    pairs = dict(form_pairs(page, "dmp-form"))
    assert "/dataset/0/title" in pairs
    pairs["/dataset/0/title"] = "Mesures de sol"
    pairs["/dataset/0/distribution/0/license/0/license_ref"] = "https://creativecommons.org/licenses/by/4.0/"
    r = client.post(f"/dmps/{dmp_id}/edit", data=pairs)
    # A licence needs its start date and the distribution its access: the form says so.
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert 'id="/dataset/0/distribution/0/data_access-error"' in html and "error-summary" in html
    pairs["/dataset/0/distribution/0/data_access"] = "open"
    pairs["/dataset/0/distribution/0/license/0/start_date"] = "2026-01-01"
    pairs["_revision"] = dict(form_pairs(html, "dmp-form"))["_revision"]
    r = client.post(f"/dmps/{dmp_id}/edit", data=pairs)
    assert r.status_code == 303, r.get_data(as_text=True)
    with new_session(app) as s:
        dataset = s.get(Dmp, dmp_id).plan["dataset"][0]
    assert dataset["distribution"][0]["title"] == "Mesures de sol"
    assert dataset["personal_data"] == "unknown"


def test_share_page_and_start_deposit(app, factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("w@example.org")
    factory.user("co@example.org")
    token = sign_in(client, "w@example.org")
    import_plan(client, token)
    dmp_id = only_plan_id(app)
    r = client.post(
        f"/dmps/{dmp_id}/share", data={"_csrf": token, "email": "co@example.org", "permission": "read"}
    )
    assert r.status_code == 303
    assert "co@example.org" in client.get(f"/dmps/{dmp_id}/share").get_data(as_text=True)
    r = client.post(
        f"/dmps/{dmp_id}/share", data={"_csrf": token, "email": "nobody@example.org", "permission": "read"}
    )
    assert r.status_code == 400 and "no account uses" in r.get_data(as_text=True)
    r = client.post(f"/dmps/{dmp_id}/datasets/0/deposit", data={"_csrf": token})
    assert r.status_code == 303 and r.headers["Location"].endswith("/edit")
    form = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Profils CTD des campagnes SWOT-Côtier" in form
    # Without the CSRF token, nothing happens.
    assert client.post(f"/dmps/{dmp_id}/datasets/1/deposit").status_code == 400
    # The co-author with read access cannot edit.
    client.post("/logout", data={"_csrf": token})
    sign_in(client, "co@example.org")
    assert client.get(f"/dmps/{dmp_id}").status_code == 200
    assert client.get(f"/dmps/{dmp_id}/edit").status_code == 403
    assert "Start the deposit" not in client.get(f"/dmps/{dmp_id}").get_data(as_text=True)
