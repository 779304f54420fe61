"""The Metadata-Engine pages (/deposit, /records/<id>/edit) over Flask's test client."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

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
