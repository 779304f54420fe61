"""The Metadata-Engine pages (/deposit, /records/<id>/edit) over Flask's test client."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from schemas.examples import minimal_example

PASSWORD = "correct horse battery"


def csrf(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def sign_in(client: FlaskClient, email: str) -> str:
    token = csrf(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"email": email, "password": PASSWORD, "_csrf": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    return csrf(client.get("/me").get_data(as_text=True))


def test_blank_draft_form_names_inputs_by_pointer(factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("p@example.org")
    token = sign_in(client, "p@example.org")
    r = client.post("/deposit", data={"how": "blank", "_csrf": token})
    assert r.status_code == 303
    page = client.get(r.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert 'name="/titles/0/text"' in html and 'name="/rights/access_level"' in html


def test_french_from_accept_language_then_the_persons_choice(factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("p@example.org")
    fr = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    html = fr.get_data(as_text=True)
    assert '<html lang="fr">' in html and "Se connecter" in html and "Accept-Language" in fr.headers["Vary"]
    en = client.get("/login", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert '<html lang="en">' in en and "Sign in" in en
    # The person's choice wins over the browser's.
    token = csrf(en)
    r = client.post("/language", data={"lang": "fr", "next": "/login", "_csrf": token})
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    chosen = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr">' in chosen and "Mot de passe" in chosen
    bad = client.post(
        "/language", data={"lang": "de", "_csrf": token}, headers={"Accept": "application/json"}
    )
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "/lang"


# --- helpers ------------------------------------------------------------------------------------


def form_pairs(html: str) -> list[tuple[str, str]]:
    """What a browser would post from the deposit form: every named input, select, textarea."""
    from lxml import html as lhtml

    doc = lhtml.fromstring(html)
    form = doc.get_element_by_id("deposit-form")
    pairs = []
    for el in form.iter("input", "select", "textarea"):
        name = el.get("name")
        if not name:
            continue
        if el.tag == "select":
            chosen = [o for o in el.iter("option") if o.get("selected") is not None]
            value = (
                (chosen[0].get("value") if chosen[0].get("value") is not None else chosen[0].text)
                if chosen
                else ""
            )
        elif el.tag == "textarea":
            value = el.text or ""
        else:
            value = el.get("value") or ""
        pairs.append((name, value))
    return pairs


def new_draft(producer, metadata: dict, **extra) -> str:  # type: ignore[no-untyped-def]
    r = producer.post("/api/records", json={"metadata": metadata, **extra})
    assert r.status_code == 201, r.json
    return r.json["id"]


# --- the form covers the schema -----------------------------------------------------------------


def test_every_field_of_the_rich_example_round_trips_through_the_form(factory, client) -> None:  # type: ignore[no-untyped-def]
    """The rich example uses every field of the canonical model: rendered into the form and
    posted back unchanged, it gives the same metadata. So every field is editable in the form
    and its input is named by the pointer of its value."""
    from schemas import load_metadata
    from schemas.examples import rich_example

    producer = factory.user("p@example.org")
    rid = new_draft(producer, rich_example())
    stored = producer.get(f"/api/records/{rid}/draft").json["metadata"]
    sign_in(client, "p@example.org")
    html = client.get(f"/records/{rid}/edit").get_data(as_text=True)
    pairs = form_pairs(html)
    assert ("/titles/1/text", stored["titles"][1]["text"]) in pairs
    assert ("/rights/access_level", stored["rights"]["access_level"]) in pairs
    from app.web.deposit.form import metadata_from_form

    assert load_metadata(metadata_from_form(pairs)) == stored


def test_marks_come_from_the_schema_tiers(factory, client) -> None:  # type: ignore[no-untyped-def]
    from lxml import html as lhtml

    from schemas.tiers import field_tiers

    producer = factory.user("p@example.org")
    rid = new_draft(producer, {})
    sign_in(client, "p@example.org")
    doc = lhtml.fromstring(client.get(f"/records/{rid}/edit").get_data(as_text=True))
    tiers = field_tiers()
    checked = 0
    for label in doc.iter("label"):
        target = label.get("for", "")
        if not target.startswith("/") or target in ("/community", "/template", "/file"):
            continue
        pattern = "/".join("*" if t.isdigit() else t for t in target.split("/"))
        tier = tiers.get(pattern, "optional")  # items of a list of plain values carry no tier
        mandatory = label.find_class("mark-mandatory")
        recommended = label.find_class("mark-recommended")
        assert (bool(mandatory), bool(recommended)) == (tier == "mandatory", tier == "recommended"), target
        checked += 1
    assert checked > 20


# --- saving without JavaScript ----------------------------------------------------------------


def test_form_post_saves_and_a_stale_revision_changes_nothing(factory, client) -> None:  # type: ignore[no-untyped-def]
    producer = factory.user("p@example.org")
    rid = new_draft(producer, {"titles": [{"text": "Premier titre"}]})
    token = sign_in(client, "p@example.org")
    html = client.get(f"/records/{rid}/edit").get_data(as_text=True)
    pairs = dict(form_pairs(html))
    revision = pairs["_revision"]
    data = {
        "_csrf": token,
        "_revision": revision,
        "/titles/0/text": "Titre modifié",
        "/publication_year": "2024",
    }
    r = client.post(f"/records/{rid}/edit", data=data)
    assert r.status_code == 303
    md = producer.get(f"/api/records/{rid}/draft").json["metadata"]
    assert md["titles"] == [{"text": "Titre modifié"}] and md["publication_year"] == 2024
    # The same revision again: someone (this very post) changed the draft since.
    stale = client.post(f"/records/{rid}/edit", data=data | {"/titles/0/text": "Écrasé ?"})
    assert stale.status_code == 412
    assert "changed elsewhere" in stale.get_data(as_text=True)
    assert producer.get(f"/api/records/{rid}/draft").json["metadata"]["titles"] == [{"text": "Titre modifié"}]


def test_form_post_with_bad_values_names_the_field_and_writes_nothing(factory, client) -> None:  # type: ignore[no-untyped-def]
    producer = factory.user("p@example.org")
    rid = new_draft(producer, {"titles": [{"text": "Titre"}]})
    token = sign_in(client, "p@example.org")
    revision = dict(form_pairs(client.get(f"/records/{rid}/edit").get_data(as_text=True)))["_revision"]
    not_a_number = client.post(
        f"/records/{rid}/edit",
        data={
            "_csrf": token,
            "_revision": revision,
            "/titles/0/text": "Autre",
            "/spatial_extents/0/bbox/west": "ouest",
        },
    )
    assert not_a_number.status_code == 400
    page = not_a_number.get_data(as_text=True)
    assert (
        'href="#/spatial_extents/0/bbox/west"' in page and 'id="/spatial_extents/0/bbox/west-error"' in page
    )
    south_above_north = client.post(
        f"/records/{rid}/edit",
        data={
            "_csrf": token,
            "_revision": revision,
            "/titles/0/text": "Autre",
            **{
                f"/spatial_extents/0/bbox/{k}": v
                for k, v in {"west": "1", "east": "2", "south": "50", "north": "40"}.items()
            },
        },
    )
    assert south_above_north.status_code == 400
    assert "south latitude 50 is greater than north latitude 40" in south_above_north.get_data(as_text=True)
    assert producer.get(f"/api/records/{rid}/draft").json["metadata"] == {"titles": [{"text": "Titre"}]}


def test_only_the_owner_opens_the_form(factory, client) -> None:  # type: ignore[no-untyped-def]
    producer = factory.user("p@example.org")
    factory.user("other@example.org")
    rid = new_draft(producer, {})
    assert client.get(f"/records/{rid}/edit").status_code == 302  # to sign-in
    sign_in(client, "other@example.org")
    assert client.get(f"/records/{rid}/edit").status_code == 404


# --- starting a dataset -------------------------------------------------------------------------


def test_start_from_a_template_copies_all_but_what_identifies_it(factory, client) -> None:  # type: ignore[no-untyped-def]
    from schemas.examples import rich_example

    producer = factory.user("p@example.org")
    source = rich_example()
    rid = new_draft(producer, source)
    token = sign_in(client, "p@example.org")
    assert rid in client.get("/deposit").get_data(as_text=True)
    r = client.post("/deposit", data={"how": "template", "template": rid, "_csrf": token})
    assert r.status_code == 303
    copy_id = r.headers["Location"].split("/")[2]
    assert copy_id != rid
    copied = producer.get(f"/api/records/{copy_id}/draft").json["metadata"]
    assert copied["titles"] == producer.get(f"/api/records/{rid}/draft").json["metadata"]["titles"]
    for gone in ("alternate_identifiers", "related_identifiers", "dates", "version"):
        assert gone in source and gone not in copied


def test_start_from_someone_elses_record_is_refused(factory, client) -> None:  # type: ignore[no-untyped-def]
    other = factory.user("other@example.org")
    theirs = new_draft(other, {"titles": [{"text": "À quelqu'un d'autre"}]})
    factory.user("p@example.org")
    token = sign_in(client, "p@example.org")
    r = client.post("/deposit", data={"how": "template", "template": theirs, "_csrf": token})
    assert r.status_code in (403, 404)


def test_import_an_iso_file_lists_what_was_not_mapped(factory, client) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    factory.user("p@example.org")
    token = sign_in(client, "p@example.org")
    data = (Path(__file__).parent / "data" / "sextant_gml2006.xml").read_bytes()
    import io

    r = client.post(
        "/deposit",
        data={"how": "import", "_csrf": token, "file": (io.BytesIO(data), "sextant.xml")},
        content_type="multipart/form-data",
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 201, page
    assert "iso19139" in page
    edit = re.search(r'href="(/records/[^"]+/edit)"', page).group(1)
    form = client.get(edit).get_data(as_text=True)
    assert 'name="/titles/0/text"' in form and 'value="' in form
    broken = client.post(
        "/deposit",
        data={"how": "import", "_csrf": token, "file": (io.BytesIO(b"<not xml"), "x.xml")},
        content_type="multipart/form-data",
    )
    assert broken.status_code == 400 and 'href="#/file"' in broken.get_data(as_text=True)


# --- acceptance panel and submission --------------------------------------------------------------


def test_acceptance_panel_lists_missing_fields_then_turns_green(factory, client, shared_standards) -> None:  # type: ignore[no-untyped-def]
    from lxml import html as lhtml

    factory.community("theia")
    producer = factory.user("p@example.org")
    empty = new_draft(producer, {})
    complete = new_draft(producer, minimal_example(), community="theia")
    sign_in(client, "p@example.org")
    doc = lhtml.fromstring(client.get(f"/records/{empty}/edit").get_data(as_text=True))
    targets = doc.get_element_by_id("acceptance").find_class("target")
    assert len(targets) == 4 and all("ko" in t.get("class") for t in targets)
    links = {a.get("href") for a in targets[0].iter("a")}
    assert "#/titles" in links and "#/creators" in links
    doc = lhtml.fromstring(client.get(f"/records/{complete}/edit").get_data(as_text=True))
    targets = doc.get_element_by_id("acceptance").find_class("target")
    assert all("ok" in t.get("class").split() for t in targets), [t.text_content() for t in targets]


def test_submit_from_the_form_then_it_is_read_only(factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.community("theia")
    producer = factory.user("p@example.org")
    rid = new_draft(producer, minimal_example())
    token = sign_in(client, "p@example.org")
    none = client.post(f"/records/{rid}/submit", data={"_csrf": token, "community": ""})
    assert none.status_code == 400 and 'href="#/community"' in none.get_data(as_text=True)
    assert producer.get(f"/api/records/{rid}/draft").json["state"] == "draft"
    r = client.post(f"/records/{rid}/submit", data={"_csrf": token, "community": "theia"})
    assert r.status_code == 303
    assert producer.get(f"/api/records/{rid}/draft").json["state"] == "submitted"
    page = client.get(f"/records/{rid}/edit").get_data(as_text=True)
    assert '<fieldset class="whole" disabled>' in page and "Submit for review" not in page


def test_every_top_level_field_is_in_exactly_one_section() -> None:
    from app.web.deposit.form import sections
    from schemas import MetadataSchema

    placed = [f.key for _, fields in sections() for f in fields]
    assert sorted(placed) == sorted(f.data_key or k for k, f in MetadataSchema().fields.items())
    assert len(placed) == len(set(placed))


def test_help_texts_of_shared_field_names_fit_the_field(app) -> None:  # type: ignore[no-untyped-def]
    """A field named ``name`` or ``identifier`` gets the help of its own kind of value: a related
    work's identifier is not an ORCID, a resource type's name is not a person's name."""
    from app.web.deposit.form import FormField, form_fields
    from app.web.deposit.help import help_and_example

    def walk(f: FormField):  # type: ignore[no-untyped-def]
        yield f
        for child in f.children:
            yield from walk(child)
        if f.item is not None:
            yield from walk(f.item)

    specs = {f.pattern: f for top in form_fields().values() for f in walk(top)}
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        helps = {p: help_and_example(specs[p]) for p in specs}
    person = "For a person: 'Family, Given'."
    orcid = "ORCID for a person, ROR for an organisation; checked as you type."
    assert helps["/creators/*/name"][0] == person and helps["/contacts/*/name"][0] == person
    assert helps["/contributors/*/identifiers/*/identifier"][0] == orcid
    for pattern in (
        "/resource_type/name",
        "/publisher/name",
        "/rights/license/name",
        "/creators/*/affiliations/*/name",
    ):
        assert helps[pattern][0] and helps[pattern][0] != person, pattern
    for pattern in ("/related_identifiers/*/identifier", "/alternate_identifiers/*/identifier"):
        assert helps[pattern][0] and "ORCID" not in helps[pattern][0], pattern
        assert helps[pattern][1] != "0000-0002-1825-0097", pattern


def test_dashboard_links_drafts_to_their_form_with_completeness(factory, client) -> None:  # type: ignore[no-untyped-def]
    producer = factory.user("p@example.org")
    rid = new_draft(producer, {"titles": [{"text": "Brouillon en cours"}]})
    sign_in(client, "p@example.org")
    html = client.get("/me", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'href="/records/{rid}/edit"' in html and "complete" in html and 'href="/deposit"' in html


def test_section_navigation_says_what_is_missing(factory, client) -> None:  # type: ignore[no-untyped-def]
    from lxml import html as lhtml

    producer = factory.user("p@example.org")
    rid = new_draft(producer, minimal_example() | {"publisher": {"name": "THEIA"}})
    sign_in(client, "p@example.org")
    doc = lhtml.fromstring(
        client.get(f"/records/{rid}/edit", headers={"Accept-Language": "en"}).get_data(as_text=True)
    )
    nav = {a.get("href"): a.getparent().text_content() for a in doc.find_class("sections-nav")[0].iter("a")}
    assert "required missing" not in nav["#section-general"]
    assert "recommended missing" in nav["#section-temporal"]  # no time period yet
    assert "recommended missing" in nav["#section-publisher"]  # no ROR id


def test_delete_a_draft_from_the_form_needs_confirmation_and_the_current_revision(factory, client) -> None:  # type: ignore[no-untyped-def]
    producer = factory.user("p@example.org")
    rid = new_draft(producer, minimal_example())
    token = sign_in(client, "p@example.org")
    html = client.get(f"/records/{rid}/edit").get_data(as_text=True)
    assert f'action="/records/{rid}/delete"' in html
    revision = dict(form_pairs(html))["_revision"]
    unconfirmed = client.post(f"/records/{rid}/delete", data={"_csrf": token, "_revision": revision})
    assert unconfirmed.status_code == 400 and "/confirm" in unconfirmed.get_data(as_text=True)
    stale = client.post(
        f"/records/{rid}/delete", data={"_csrf": token, "_revision": str(int(revision) + 1), "confirm": "yes"}
    )
    assert stale.status_code == 412
    assert producer.get(f"/api/records/{rid}/draft").status_code == 200  # nothing deleted so far
    other = factory.user("o@example.org")
    sign_in(client, "o@example.org")
    assert (
        client.post(
            f"/records/{rid}/delete",
            data={
                "_csrf": csrf(client.get("/me").get_data(as_text=True)),
                "_revision": revision,
                "confirm": "yes",
            },
        ).status_code
        == 404
    )
    assert other.get(f"/api/records/{rid}/draft").status_code in (403, 404)
    token = sign_in(client, "p@example.org")
    done = client.post(
        f"/records/{rid}/delete", data={"_csrf": token, "_revision": revision, "confirm": "yes"}
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/me")
    assert producer.get(f"/api/records/{rid}/draft").status_code == 404


def test_start_a_new_version_from_the_dashboard(factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.community("aeris")
    producer = factory.user("p@example.org")
    moderator = factory.user("m@example.org", role="moderator", communities=["aeris"])
    rid = new_draft(producer, minimal_example())
    assert (
        producer.post(f"/api/records/{rid}/draft/actions/submit", json={"community": "aeris"}).status_code
        == 202
    )
    assert moderator.post(f"/api/records/{rid}/review/actions/assign", json={}).status_code == 200
    assert (
        moderator.post(f"/api/records/{rid}/review/actions/accept", json={"comment": "ok"}).status_code == 200
    )
    token = sign_in(client, "p@example.org")
    page = client.get("/me").get_data(as_text=True)
    assert f'action="/records/{rid}/new-version"' in page
    r = client.post(f"/records/{rid}/new-version", data={"_csrf": token})
    assert r.status_code == 303
    draft_id = r.headers["Location"].rstrip("/").split("/")[-2]
    assert r.headers["Location"].endswith(f"/records/{draft_id}/edit") and draft_id != rid
    draft = producer.get(f"/api/records/{draft_id}/draft").json
    assert draft["state"] == "draft" and draft["versions"]["index"] == 2
    # One version at a time: the button is gone, and a second post is refused by name.
    assert f'action="/records/{rid}/new-version"' not in client.get("/me").get_data(as_text=True)
    again = client.post(f"/records/{rid}/new-version", data={"_csrf": token})
    assert again.status_code == 409 and draft_id in again.get_data(as_text=True)
    # Without the CSRF token nothing happens.
    assert client.post(f"/records/{rid}/new-version", data={}).status_code == 400
