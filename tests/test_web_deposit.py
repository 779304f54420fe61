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
