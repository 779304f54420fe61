"""The landing page (app/web/records): what a visitor reads without JavaScript, previews,
tombstones and the zip of all files, over Flask's test client."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from lxml import html as lhtml

from schemas.examples import minimal_example, rich_example


@pytest.fixture
def people(factory):  # type: ignore[no-untyped-def]
    return make_people(factory)


def make_people(factory):  # type: ignore[no-untyped-def]
    factory.community("aeris", "AERIS")
    return {
        "producer": factory.user("producer@example.org"),
        "other": factory.user("other@example.org"),
        "mod": factory.user("mod@example.org", role="moderator", communities=["aeris"]),
        "outsider": factory.user("mod2@example.org", role="moderator", communities=[]),
        "admin": factory.user("admin@example.org", role="admin"),
        "anon": factory.anonymous(),
    }


def open_rich() -> dict:
    md = rich_example()
    md["rights"] = {"access_level": "open", "license": {"id": "CC-BY-4.0"}}
    return md


def submitted(people, metadata=None, files=None):  # type: ignore[no-untyped-def]
    p, m = people["producer"], people["mod"]
    rid = p.post("/api/records", json={"metadata": metadata or minimal_example()}).json["id"]
    for key, data in (files or {}).items():
        assert p.put(f"/api/records/{rid}/draft/files/{key}", data=data).status_code in (200, 201)
    assert p.post(f"/api/records/{rid}/draft/actions/submit", json={"community": "aeris"}).status_code == 202
    assert m.post(f"/api/records/{rid}/review/actions/assign", json={}).status_code == 200
    return rid


def published(people, metadata=None, files=None):  # type: ignore[no-untyped-def]
    rid = submitted(people, metadata, files)
    r = people["mod"].post(f"/api/records/{rid}/review/actions/accept", json={})
    assert r.status_code == 200, r.json
    return rid


FILES = {"sst.csv": b"time,sst\n2024-01-01,21.3\n", "doc/readme.txt": "Lisez-moi — bouées\n".encode()}


def page(client, rid: str, lang: str = "en"):  # type: ignore[no-untyped-def]
    r = client.get(f"/records/{rid}", headers={"Accept": "text/html", "Accept-Language": lang})
    assert r.status_code == 200, r.status_code
    return lhtml.fromstring(r.get_data(as_text=True))


def text(el) -> str:  # type: ignore[no-untyped-def]
    return " ".join(el.text_content().split())


def test_landing_page_shows_the_record_without_javascript(people, client) -> None:  # type: ignore[no-untyped-def]
    rid = published(people, open_rich(), FILES)
    doc = page(client, rid)
    body = text(doc.body)
    assert doc.xpath("string(//h1)") == "Sea surface temperature and salinity from drifting buoys in the South-West Pacific"
    # creators with ORCID and ROR links (ORCID typed bare or as URL)
    hrefs = doc.xpath("//ul[@class='creators']//a/@href")
    assert "https://orcid.org/0000-0002-1825-0097" in hrefs
    assert "https://orcid.org/0000-0002-1694-233X" in hrefs
    assert "https://ror.org/05q3vnk25" in hrefs and "https://ror.org/02feahw73" in hrefs
    # identifier and citation (DataCite recommended form, no DOI: the landing URL)
    assert doc.xpath("string(//a[@id='identifier']/@href)") == f"http://alluvium.test/records/{rid}"
    citation = doc.xpath("string(//p[@id='citation-text'])")
    assert "Carberry, Josiah" in citation and f"http://alluvium.test/records/{rid}" in citation
    downloads = doc.xpath("//section[@aria-labelledby='h-citation']//a[@download]/@href")
    assert downloads == [f"/api/records/{rid}/export/{n}" for n in ("bibtex", "csl-json", "ris")]
    # abstract in the visitor's language only, descriptions
    assert "Hourly time series" in body and "Séries temporelles" not in body
    assert "Sensors calibrated before deployment" in body
    # keywords linked to their concept URIs
    kw = {a.text_content(): a.get("href") for a in doc.xpath("//a[@class='keyword']")}
    assert kw["EARTH SCIENCE > OCEANS > SALINITY/DENSITY > SALINITY"].endswith("7e95b5fc-1d58-431a-af36-948b29fa870d")
    assert "drifters" in body
    # map data and the coordinates as text
    assert doc.xpath("//div[@id='landing-map']/@data-extents")
    coords = [text(c) for c in doc.xpath("//span[@class='coords']")]
    assert "W 160.0, E -150.0, S -35.0, N -10.0" in coords and "lat -22.27, lon 166.45" in coords
    assert "2019-03-01" in body and "2015-01 – 2016-12" in body
    # licence, access
    lic = doc.xpath("//a[@rel='license']")[0]
    assert lic.text_content() == "Creative Commons Attribution 4.0 International"
    assert lic.get("href") in ("https://spdx.org/licenses/CC-BY-4.0.html", "https://creativecommons.org/licenses/by/4.0/legalcode")
    assert "open access" in body
    # funding and related works
    assert "Agence nationale de la recherche" in body and "ANR-19-CE01-0001" in body
    assert "https://doi.org/10.13039/501100001665" in doc.xpath("//section[@aria-labelledby='h-funding']//a/@href")
    assert "https://doi.org/10.1029/2020jc016000" in doc.xpath("//section[@aria-labelledby='h-related']//a/@href")
    # files: sizes, both checksums, download links, download all
    rows = doc.xpath("//table[@class='files']/tbody/tr")
    assert len(rows) == 2
    csv = [r for r in rows if "sst.csv" in text(r)][0]
    assert hashlib.sha256(FILES["sst.csv"]).hexdigest() in text(csv)
    assert hashlib.md5(FILES["sst.csv"]).hexdigest() in text(csv)
    assert f"{len(FILES['sst.csv'])} bytes" in text(csv)
    assert csv.xpath("string(.//a/@href)") == f"/api/records/{rid}/files/sst.csv"
    assert doc.xpath(f"//a[@href='/records/{rid}/files.zip']")
    # versions
    assert "Version 1" in text(doc.xpath("//section[@aria-labelledby='h-versions']")[0])


def test_landing_page_in_french_picks_french_texts(people, client) -> None:  # type: ignore[no-untyped-def]
    rid = published(people, open_rich())
    doc = page(client, rid, "fr")
    body = text(doc.body)
    assert doc.xpath("string(//h1)").startswith("Température et salinité")
    assert "Séries temporelles horaires" in body and "Hourly time series" not in body
    assert "Citer ce jeu de données" in body


def test_embargoed_files_show_the_date_and_no_download(people, client) -> None:  # type: ignore[no-untyped-def]
    rid = published(people, rich_example(), {"a.csv": b"x"})
    doc = page(client, rid)
    rights = text(doc.xpath("//section[@aria-labelledby='h-rights']")[0])
    assert "embargoed — files available from Dec 31, 2026" in rights
    assert not doc.xpath("//table[@class='files']//a")
    assert not doc.xpath(f"//a[@href='/records/{rid}/files.zip']")
    assert client.get(f"/records/{rid}/files.zip").status_code == 403


def test_download_all_streams_a_zip_of_every_file(people, client) -> None:  # type: ignore[no-untyped-def]
    rid = published(people, open_rich(), FILES)
    r = client.get(f"/records/{rid}/files.zip")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert r.is_streamed
    with zipfile.ZipFile(io.BytesIO(r.data)) as zf:
        assert zf.testzip() is None
        assert {n: zf.read(n) for n in zf.namelist()} == FILES


def test_unpublished_versions_are_previews_for_owner_and_moderators_only(people, client, app) -> None:  # type: ignore[no-untyped-def]
    rid = submitted(people, open_rich())
    for who in ("producer", "mod", "admin"):
        r = people[who].get(f"/records/{rid}", headers={"Accept": "text/html"})
        assert r.status_code == 302 and r.headers["Location"].endswith(f"/records/{rid}/preview")
        p = people[who].get(f"/records/{rid}/preview")
        assert p.status_code == 200 and p.headers["X-Robots-Tag"] == "noindex, nofollow"
        doc = lhtml.fromstring(p.get_data(as_text=True))
        assert "Preview — not published (state: under review)" in text(doc.xpath("//p[@class='preview-banner']")[0])
        assert not doc.xpath("//p[@id='citation-text']") and not doc.xpath("//script[@type='application/ld+json']")
        assert "Link" not in p.headers
    for who in ("other", "outsider", "anon"):
        assert people[who].get(f"/records/{rid}", headers={"Accept": "text/html"}).status_code == 404
        assert people[who].get(f"/records/{rid}/preview").status_code == 404


def test_withdrawn_version_shows_a_tombstone_without_the_email(people, client) -> None:  # type: ignore[no-untyped-def]
    rid = published(people, open_rich())
    r = people["admin"].post(f"/api/records/{rid}/actions/withdraw", json={"reason": "duplicate of another deposit"})
    assert r.status_code == 200, r.json
    t = client.get(f"/records/{rid}", headers={"Accept": "text/html"})
    assert t.status_code == 410
    body = t.get_data(as_text=True)
    assert "duplicate of another deposit" in body and "admin@example.org" not in body
    assert "the repository administrators" in body
