"""The deposit form's messages, conflicts, files and DOI, over Flask's test client: field labels
instead of JSON pointers, schema messages in French, who changed a draft and when, the plain
HTML upload (no JavaScript), the proposals read from an uploaded file, and DOI reservation
(against tests/datacite_standin.py, a real HTTP server on loopback standing in for DataCite)."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from lxml import html as lhtml

from app import create_app
from schemas.examples import minimal_example
from tests.conftest import Factory, make_test_config

PASSWORD = "correct horse battery"
FR = {"Accept-Language": "fr-FR,fr;q=0.9"}


def csrf(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def sign_in(client, email: str, headers: dict | None = None) -> str:  # type: ignore[no-untyped-def]
    token = csrf(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"email": email, "password": PASSWORD, "_csrf": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    return csrf(client.get("/me", headers=headers or {}).get_data(as_text=True))


def cls(name: str) -> str:
    """XPath test for an element having the class ``name``."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def links(html: str, xpath: str) -> list[tuple[str, str]]:
    """(href, text) of the links under the elements an XPath selects."""
    doc = lhtml.fromstring(html)
    return [(a.get("href"), a.text_content().strip()) for a in doc.xpath(f"{xpath}//a")]


def test_acceptance_panel_names_fields_by_label_and_links_to_them(factory: Factory, client) -> None:  # type: ignore[no-untyped-def]
    api = factory.user("p@example.org")
    md = minimal_example()
    del md["publisher"]
    rid = api.post("/api/records", json={"metadata": md}).json["id"]
    sign_in(client, "p@example.org")
    html = client.get(f"/records/{rid}/edit").get_data(as_text=True)
    problems = links(html, f"//*[@id='acceptance']//li[{cls('target')}]")
    assert ("#/publisher/name", "Publisher › Name") in problems, problems
    assert ("#/community", "Community") in problems
    recommended = links(html, "//*[@id='acceptance']//ul[@class='recommended']")
    assert recommended and all(not text.startswith("/") for _, text in recommended), recommended
    # Every link leads to an element of the page.
    ids = set(lhtml.fromstring(html).xpath("//@id"))
    for href, _ in problems + recommended:
        assert href[1:] in ids, href
    # The section summaries name fields the same way.
    summary = links(html, f"//*[@id='section-publisher']//ul[{cls('section-summary')}]")
    assert summary and summary[0] == ("#/publisher/name", "Required: Publisher › Name"), summary


def test_panel_and_messages_in_french(factory: Factory, client) -> None:  # type: ignore[no-untyped-def]
    api = factory.user("fr@example.org")
    md = minimal_example()
    del md["publisher"]
    rid = api.post("/api/records", json={"metadata": md}).json["id"]
    sign_in(client, "fr@example.org", FR)
    html = client.get(f"/records/{rid}/edit", headers=FR).get_data(as_text=True)
    panel = lhtml.fromstring(html).get_element_by_id("acceptance").text_content()
    assert "Diffuseur › Nom: est obligatoire pour soumettre" in panel and "/publisher" not in panel, panel
    assert "choisissez la communauté à laquelle soumettre le jeu de données" in panel
    assert "est obligatoire pour soumettre" in panel
    assert "choose the community" not in panel and "is required to submit" not in panel


def test_field_errors_of_the_schema_are_shown_in_french(factory: Factory, client) -> None:  # type: ignore[no-untyped-def]
    api = factory.user("fr@example.org")
    rid = api.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    token = sign_in(client, "fr@example.org", FR)
    page = client.get(f"/records/{rid}/edit", headers=FR).get_data(as_text=True)
    revision = re.search(r'name="_revision" id="/_revision" value="(\d+)"', page).group(1)
    bbox = {"west": "1", "east": "2", "south": "50", "north": "95"}
    r = client.post(
        f"/records/{rid}/edit",
        headers=FR,
        data={
            "_csrf": token,
            "_revision": revision,
            "/titles/0/text": "Titre",
            **{f"/spatial_extents/0/bbox/{k}": v for k, v in bbox.items()},
        },
    )
    assert r.status_code == 400
    doc = lhtml.fromstring(r.get_data(as_text=True))
    inline = doc.get_element_by_id("/spatial_extents/0/bbox/north-error").text_content()
    assert "doit être une latitude entre -90 et 90" in inline, inline
    summary = doc.get_element_by_id("error-summary").text_content()
    assert "Latitude nord" in summary and "doit être une latitude entre -90 et 90" in summary, summary
    assert "/spatial_extents" not in summary


def test_api_errors_keep_english_and_add_the_localized_text(factory: Factory) -> None:
    api = factory.user("p@example.org")
    rid = api.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    bad = {"metadata": {"spatial_extents": [{"bbox": {"west": 1, "east": 2, "south": 50, "north": 40}}]}}
    r = api.patch(f"/api/records/{rid}/draft", json=bad, headers={"If-Match": '"1"', **FR})
    assert r.status_code == 400
    error = next(e for e in r.json["errors"] if e["field"].endswith("/bbox/south"))
    assert error["messages"] == ["south latitude 50 is greater than north latitude 40"]
    assert error["localized"] == ["la latitude sud 50 est supérieure à la latitude nord 40"]
    english = api.patch(f"/api/records/{rid}/draft", json=bad, headers={"If-Match": '"1"'})
    assert all("localized" not in e for e in english.json["errors"])


def test_the_draft_says_who_changed_it_and_when(factory: Factory, client) -> None:  # type: ignore[no-untyped-def]
    owner = factory.user("claire@example.org")
    rid = owner.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    first = owner.get(f"/api/records/{rid}/draft").json
    assert first["modified"]["by"] is None  # created, never edited
    r = owner.patch(
        f"/api/records/{rid}/draft", json={"metadata": {"version": "2"}}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 200
    got = owner.get(f"/api/records/{rid}/draft").json
    assert got["modified"]["by"]["name"] == "claire@example.org"
    assert got["modified"]["at"] == got["updated"] and got["modified"]["at"] > first["modified"]["at"]
    # The stale save is refused and overwrites nothing.
    stale = owner.patch(
        f"/api/records/{rid}/draft", json={"metadata": {"version": "3"}}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert owner.get(f"/api/records/{rid}/draft").json["metadata"]["version"] == "2"
    # The form carries the texts the conflict message is built from.
    sign_in(client, "claire@example.org", FR)
    doc = lhtml.fromstring(client.get(f"/records/{rid}/edit", headers=FR).get_data(as_text=True))
    text = doc.get_element_by_id("conflict-text")
    assert (
        text.get("data-template")
        == "{who} a enregistré ce brouillon le {when}. Ces champs diffèrent des vôtres :"
    )
    assert "autre onglet" in text.get("data-template-you")


def test_plain_html_upload_stores_the_file_and_shows_its_checksum(factory: Factory, client) -> None:  # type: ignore[no-untyped-def]
    api = factory.user("p@example.org")
    rid = api.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    token = sign_in(client, "p@example.org", FR)
    body = b"latitude,longitude,time\n48.1,-4.5,2019-01-01\n48.6,-4.4,2019-06-30\n"
    r = client.post(
        f"/records/{rid}/edit/files",
        data={"_csrf": token, "file": (io.BytesIO(body), "stations.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    assert r.headers["Location"].endswith(f"/records/{rid}/edit#files")
    listed = api.get(f"/api/records/{rid}/files").json["entries"]
    assert [e["key"] for e in listed] == ["stations.csv"]
    sha = hashlib.sha256(body).hexdigest()
    assert listed[0]["checksum"]["sha256"] == sha
    doc = lhtml.fromstring(client.get(f"/records/{rid}/edit", headers=FR).get_data(as_text=True))
    item = doc.xpath(f"//*[@id='file-list']/li[{cls('file')}]")[0]
    assert item.get("data-key") == "stations.csv" and item.xpath(f".//code[{cls('sha256')}]")[0].text == sha
    assert "66 octets" in item.text_content()

    # What the extraction read from it: "use / ignore" rows with the field's label.
    proposals = client.get(item.get("data-proposals-url"), headers=FR)
    assert proposals.status_code == 200
    rows = lhtml.fromstring(proposals.get_data(as_text=True)).xpath(f"//li[{cls('proposal')}]")
    extents = [row for row in rows if row.get("data-field") == "spatial_extents"]
    assert extents, proposals.get_data(as_text=True)
    assert extents[0].xpath(f".//*[{cls('proposal-field')}]")[0].text == "Emprises spatiales"
    assert extents[0].get("data-pointer") == "/spatial_extents/0"
    assert '"south": 48.1' in extents[0].get("data-value")
    assert {b.text for b in extents[0].xpath(".//button")} == {"Utiliser", "Ignorer"}
    # Nothing was applied to the record by itself.
    stored = api.get(f"/api/records/{rid}/draft").json["metadata"]
    assert all(e.get("bbox", {}).get("south") != 48.1 for e in stored.get("spatial_extents", []))


def test_plain_upload_without_a_file_or_over_the_limit_names_the_field(factory: Factory, app, client) -> None:  # type: ignore[no-untyped-def]
    api = factory.user("p@example.org")
    rid = api.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    token = sign_in(client, "p@example.org", FR)
    empty = client.post(
        f"/records/{rid}/edit/files", data={"_csrf": token}, content_type="multipart/form-data", headers=FR
    )
    assert empty.status_code == 400
    doc = lhtml.fromstring(empty.get_data(as_text=True))
    assert "choisissez un fichier à envoyer" in doc.get_element_by_id("/file-error").text_content()
    app.config["MAX_FILE_SIZE"] = 10
    big = client.post(
        f"/records/{rid}/edit/files",
        data={"_csrf": token, "file": (io.BytesIO(b"x" * 11), "big.bin")},
        content_type="multipart/form-data",
    )
    assert big.status_code == 413
    assert (
        "MAX_FILE_SIZE"
        in lhtml.fromstring(big.get_data(as_text=True)).get_element_by_id("error-summary").text_content()
    )
    assert api.get(f"/api/records/{rid}/files").json["entries"] == []


def test_without_datacite_the_form_says_a_doi_comes_at_publication(factory: Factory, client) -> None:  # type: ignore[no-untyped-def]
    api = factory.user("p@example.org")
    rid = api.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    sign_in(client, "p@example.org")
    doc = lhtml.fromstring(client.get(f"/records/{rid}/edit").get_data(as_text=True))
    box = doc.get_element_by_id("doi")
    assert "A DOI is given when the dataset is published." in box.text_content()
    assert not box.xpath(".//form")


def test_reserve_a_doi_from_the_form(database_url: str, instance: Path, shared_standards: Path) -> None:
    from tests.datacite_standin import StandIn, serve
    from tests.test_dois import doi_config

    si = StandIn("TEST.ALLUVIUM", "secret", ("10.5072",))
    server, url = serve(si)
    app = create_app(make_test_config(database_url, instance, **doi_config(url)))
    try:
        client = app.test_client()
        api = Factory(app, client).user("p@example.org")
        rid = api.post("/api/records", json={"metadata": minimal_example()}).json["id"]
        token = sign_in(client, "p@example.org", FR)
        doc = lhtml.fromstring(client.get(f"/records/{rid}/edit", headers=FR).get_data(as_text=True))
        form = doc.get_element_by_id("doi").xpath(".//form")[0]
        assert form.xpath(".//button")[0].text == "Réserver un DOI"
        r = client.post(form.get("action"), data={"_csrf": token})
        assert r.status_code == 303 and r.headers["Location"].endswith("#doi")
        doi = api.get(f"/api/records/{rid}/doi").json
        assert doi["status"] == "reserved" and doi["doi"].startswith("10.5072/")
        box = lhtml.fromstring(
            client.get(f"/records/{rid}/edit", headers=FR).get_data(as_text=True)
        ).get_element_by_id("doi")
        assert box.xpath(f".//code[{cls('doi-value')}]")[0].text == doi["doi"]
        assert box.xpath(f".//*[{cls('doi-status')}]")[0].text == "réservé, pas encore enregistré"
        assert not box.xpath(".//form")  # one DOI per version: nothing more to reserve
    finally:
        app.extensions["alluvium.engine"].dispose()
        server.shutdown()
        server.server_close()


def test_remembered_fragments_never_show_a_stale_value_or_language(factory: Factory, client) -> None:  # type: ignore[no-untyped-def]
    """The form's fields are cached by value, language and errors (bench/deposit_form.py):
    a change made elsewhere, or another language, renders anew."""
    api = factory.user("p@example.org")
    rid = api.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    sign_in(client, "p@example.org")

    def field(headers: dict | None = None) -> tuple[str, str]:
        doc = lhtml.fromstring(
            client.get(f"/records/{rid}/edit", headers=headers or {}).get_data(as_text=True)
        )
        label = doc.xpath("//label[@for='/publisher/name']")[0].text.strip()
        return doc.get_element_by_id("/publisher/name").get("value"), label

    assert field() == (minimal_example()["publisher"]["name"], "Name")
    assert field() == (minimal_example()["publisher"]["name"], "Name")  # from the cache
    r = api.patch(
        f"/api/records/{rid}/draft",
        json={"metadata": {"publisher": {"name": "Ifremer"}}},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 200
    assert field() == ("Ifremer", "Name")
    assert field(FR) == ("Ifremer", "Nom")
