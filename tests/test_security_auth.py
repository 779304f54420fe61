"""Authentication, sessions, CSRF and HTTP headers: each test replays an attack that worked
against the demo instance, or checks the rule that stops it."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from conftest import make_test_config
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.cli import main as cli
from app.db import new_session
from app.security import safe_next
from app.services import accounts
from curation import Actor
from schemas.examples import minimal_example

PASSWORD = "correct horse battery"


def page_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page embeds in <meta name="csrf-token"> (and in its forms)."""
    html = client.get(path).data.decode()
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert meta, "pages must carry the CSRF token in a meta element"
    return meta.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, next_: str | None = None):  # type: ignore[no-untyped-def]
    token = page_token(client)
    url = "/login" if next_ is None else f"/login?next={next_}"
    return client.post(url, data={"email": email, "password": password, "_csrf": token})


def set_active(app: Flask, email: str, active: bool) -> None:
    with new_session(app) as s:
        accounts.set_active(s, Actor.system_actor(), accounts.get_user_by_email(s, email), active)
        s.commit()


# 1. Token scopes -------------------------------------------------------------------------------


def test_a_token_cannot_mint_a_token_with_scopes_it_lacks(factory) -> None:  # type: ignore[no-untyped-def]
    factory.community("aeris")
    mod = factory.user("mod@example.org", role="moderator", communities=["aeris"], scopes=["deposit"])
    empty = mod.post("/api/me/tokens", json={"scopes": []})
    assert empty.status_code == 400 and empty.json["errors"][0]["field"] == "/scopes"
    wider = mod.post("/api/me/tokens", json={"scopes": ["deposit", "moderate"]})
    assert wider.status_code == 400 and wider.json["errors"][0]["field"] == "/scopes"
    assert "moderate" in wider.json["errors"][0]["messages"][0]
    # Omitted: the creator's own scopes, no more.
    same = mod.post("/api/me/tokens", json={"name": "copy"})
    assert same.status_code == 201 and same.json["scopes"] == ["deposit"]
    listed = factory.user("reader@example.org").get("/api/me/tokens")  # another user's list is theirs
    assert listed.json["hits"]["total"] == 1


def test_a_signed_in_user_gets_only_the_scopes_their_role_allows(factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("p@example.org")
    sign_in(client, "p@example.org")
    csrf = page_token(client, "/me")
    headers = {"X-CSRFToken": csrf}
    assert client.get("/api/me").json["scopes"] == ["deposit", "read"]
    r = client.post("/api/me/tokens", json={"scopes": ["moderate"]}, headers=headers)
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/scopes"
    r = client.post("/api/me/tokens", json={"scopes": []}, headers=headers)
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/scopes"
    r = client.post("/api/me/tokens", json={}, headers=headers)
    assert r.status_code == 201 and r.json["scopes"] == ["deposit", "read"]


@pytest.mark.parametrize("token_id", ["99999999999999999999999", str(2**31), str(2**63)])
def test_an_out_of_range_token_id_is_not_found(factory, token_id: str) -> None:  # type: ignore[no-untyped-def]
    r = factory.user("p@example.org").delete(f"/api/me/tokens/{token_id}")
    assert r.status_code == 404 and r.is_json


def test_an_out_of_range_token_id_from_the_cli_is_a_clear_error(app) -> None:  # type: ignore[no-untyped-def]
    env = {"ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"]}
    r = app.test_cli_runner().invoke(cli, ["tokens", "revoke", str(10**30)], env=env)
    assert r.exit_code == 1 and "no token" in r.output


def test_an_out_of_range_page_is_a_400_naming_the_field(factory) -> None:  # type: ignore[no-untyped-def]
    r = factory.user("p@example.org").get("/api/records?page=" + "9" * 30)
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/page"


# 2. CSRF ---------------------------------------------------------------------------------------


def test_cookie_authenticated_api_writes_need_the_csrf_token(factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.community("aeris")
    producer = factory.user("p@example.org")
    rid = producer.post("/api/records", json={"metadata": minimal_example(), "community": "aeris"}).json["id"]
    sign_in(client, "p@example.org")
    form = {"content_type": "application/x-www-form-urlencoded", "data": ""}
    forged = [
        client.post("/api/records", **form),
        client.post("/api/me/tokens", **form),
        client.post(f"/api/records/{rid}/draft/actions/submit", **form),
        client.delete("/api/me/tokens/1"),
    ]
    for r in forged:
        assert r.status_code == 400 and r.json["errors"][0]["field"] == "/X-CSRFToken", r.json
    assert producer.get("/api/me/tokens").json["hits"]["total"] == 1  # nothing was created
    assert producer.get(f"/api/records/{rid}/draft").json["state"] == "draft"  # nor submitted
    csrf = page_token(client, "/me")
    # The right token from another site's page is still refused.
    cross = client.post(
        "/api/me/tokens", json={}, headers={"X-CSRFToken": csrf, "Origin": "https://evil.example"}
    )
    assert cross.status_code == 403 and "evil.example" in cross.json["message"]
    cross = client.post(
        "/api/me/tokens", json={}, headers={"X-CSRFToken": csrf, "Referer": "https://evil.example/page"}
    )
    assert cross.status_code == 403
    ok = client.post(
        "/api/me/tokens",
        json={"scopes": ["read"]},
        headers={"X-CSRFToken": csrf, "Origin": "http://alluvium.test"},
    )
    assert ok.status_code == 201
    assert (
        client.post(
            f"/api/records/{rid}/draft/actions/submit", json={}, headers={"X-CSRFToken": csrf}
        ).status_code
        == 202
    )


def test_bearer_token_calls_and_oai_need_no_csrf_token(factory, client) -> None:  # type: ignore[no-untyped-def]
    producer = factory.user("p@example.org")
    sign_in(client, "p@example.org")  # a session cookie is present but the bearer token wins
    r = producer.post("/api/records", json={"metadata": minimal_example()})
    assert r.status_code == 201
    assert client.post("/oai", data={"verb": "Identify"}).status_code == 200


def test_sign_in_and_sign_out_forms_need_the_csrf_token(factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("p@example.org")
    r = client.post("/login", data={"email": "p@example.org", "password": PASSWORD})
    assert r.status_code == 400
    assert sign_in(client, "p@example.org").status_code == 302
    assert client.post("/logout").status_code == 400
    assert client.get("/api/me").status_code == 200  # still signed in


# 3. Open redirect ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example/x",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "http:/evil.example",
        "/ok%0d%0aSet-Cookie:%20x=1",
        "/%0a/evil.example",
        "javascript:alert(1)",
        "%20//evil.example",
        "records",
    ],
)
def test_sign_in_never_redirects_off_site(factory, client, target: str) -> None:  # type: ignore[no-untyped-def]
    factory.user("p@example.org")
    r = sign_in(client, "p@example.org", next_=target)
    assert r.status_code == 302 and r.headers["Location"] == "/me"


def test_sign_in_keeps_a_path_on_this_site(factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("p@example.org")
    r = sign_in(client, "p@example.org", next_=quote("/records/abc?x=1", safe=""))
    assert r.status_code == 302 and r.headers["Location"] == "/records/abc?x=1"


def test_safe_next_accepts_only_site_paths() -> None:
    assert safe_next("/me?tab=2", "/d") == "/me?tab=2"
    for bad in ("", None, "//x", "/\t/x", "/\\x", "https://x/", "x", " /x", "/x\r\n", "/\u2028x", "/" * 3000):
        assert safe_next(bad, "/d") == "/d", bad


# 4. Throttling ---------------------------------------------------------------------------------


def test_sign_in_is_throttled_per_account(factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("p@example.org")
    statuses = [sign_in(client, "p@example.org", "wrong password!").status_code for _ in range(5)]
    assert statuses == [401] * 5
    r = sign_in(client, "p@example.org", "wrong password!")
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 900
    assert b"Too many failed sign-ins" in r.data
    # Even the right password waits: the account is under attack.
    assert sign_in(client, "p@example.org").status_code == 429
    # Other accounts from the same client are not blocked yet.
    factory.user("q@example.org")
    assert sign_in(client, "q@example.org").status_code == 302


def test_a_successful_sign_in_clears_the_account_failures(factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("p@example.org")
    for _ in range(4):
        sign_in(client, "p@example.org", "wrong password!")
    assert sign_in(client, "p@example.org").status_code == 302
    client.post("/logout", data={"_csrf": page_token(client, "/me")})
    assert [sign_in(client, "p@example.org", "wrong password!").status_code for _ in range(5)] == [401] * 5


def test_sign_in_is_throttled_per_client(factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("p@example.org")
    statuses = [sign_in(client, f"u{i}@example.org", "wrong password!").status_code for i in range(20)]
    assert statuses == [401] * 20
    r = sign_in(client, "p@example.org")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1


def test_throttling_limits_are_configurable(database_url: str, instance: Path, factory) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_test_config(database_url, instance, LOGIN_MAX_FAILURES_PER_ACCOUNT=2))
    try:
        client = app.test_client()
        factory.user("p@example.org")
        assert [sign_in(client, "p@example.org", "wrong password!").status_code for _ in range(3)] == [
            401,
            401,
            429,
        ]
    finally:
        app.extensions["alluvium.engine"].dispose()


def test_behind_a_proxy_clients_are_told_apart_by_x_forwarded_for(
    database_url: str, instance: Path, factory
) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_test_config(database_url, instance, PROXY_COUNT=1, LOGIN_MAX_FAILURES_PER_CLIENT=2))
    try:
        factory.user("p@example.org")
        a, b = app.test_client(), app.test_client()
        a.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.1"
        b.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.2"
        assert [sign_in(a, f"x{i}@example.org", "wrong password!").status_code for i in range(3)] == [
            401,
            401,
            429,
        ]
        assert sign_in(b, "p@example.org").status_code == 302
    finally:
        app.extensions["alluvium.engine"].dispose()


def test_concurrent_guesses_cannot_outrun_the_throttle(factory, live_server) -> None:  # type: ignore[no-untyped-def]
    """20 wrong passwords at once against a live server: at most 5 are checked."""
    factory.user("p@example.org")
    statuses: list[int] = []
    barrier = threading.Barrier(20)

    def guess() -> None:
        with requests.Session() as http:
            html = http.get(f"{live_server}/login", timeout=30).text
            token = re.search(r'name="_csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
            barrier.wait()
            r = http.post(
                f"{live_server}/login",
                data={"email": "p@example.org", "password": "wrong password!", "_csrf": token},
                timeout=60,
            )
            statuses.append(r.status_code)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert len(statuses) == 20 and set(statuses) <= {401, 429}
    assert statuses.count(401) <= 5 and statuses.count(429) >= 15


# 5. Sessions -----------------------------------------------------------------------------------


def test_session_cookies_are_secure_when_the_site_is_https(
    database_url: str, instance: Path, factory
) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_test_config(database_url, instance, BASE_URL="https://alluvium.test"))
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True
        client = app.test_client()
        factory.user("p@example.org")
        r = sign_in(client, "p@example.org")
        assert r.status_code == 302 and "; Secure" in r.headers["Set-Cookie"]
    finally:
        app.extensions["alluvium.engine"].dispose()
    plain = create_app(make_test_config(database_url, instance))
    plain.extensions["alluvium.engine"].dispose()
    assert plain.config["SESSION_COOKIE_SECURE"] is False


def test_a_captured_session_dies_at_sign_out(app, factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("p@example.org")
    assert sign_in(client, "p@example.org").status_code == 302
    captured = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", captured, domain="localhost")
    assert thief.get("/api/me").status_code == 200
    client.post("/logout", data={"_csrf": page_token(client, "/me")})
    assert thief.get("/api/me").status_code == 401
    assert thief.get("/me").status_code == 302


def test_set_password_from_the_cli_ends_sessions(app, factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("p@example.org")
    sign_in(client, "p@example.org")
    assert client.get("/api/me").status_code == 200
    env = {
        "ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"],
        "ALLUVIUM_ARGON2_MEMORY_COST": "1024",
        "ALLUVIUM_ARGON2_TIME_COST": "1",
    }
    runner = app.test_cli_runner()
    r = runner.invoke(cli, ["users", "set-password", "p@example.org"], env=env)
    assert r.exit_code == 0, r.output
    generated = r.output.split("password: ")[1].strip()
    assert client.get("/api/me").status_code == 401
    assert sign_in(app.test_client(), "p@example.org", generated).status_code == 302
    r = runner.invoke(cli, ["users", "set-password", "p@example.org", "--password", "short"], env=env)
    assert r.exit_code == 1 and "/password" in r.output
    r = runner.invoke(
        cli, ["users", "set-password", "nobody@example.org", "--password", "long enough pw"], env=env
    )
    assert r.exit_code == 1 and "no user" in r.output
    r = runner.invoke(
        cli, ["users", "set-password", "p@example.org", "--password", "another long one"], env=env
    )
    assert r.exit_code == 0 and "password:" not in r.output
    assert sign_in(app.test_client(), "p@example.org", "another long one").status_code == 302


# 7. Deactivated users --------------------------------------------------------------------------


def test_a_deactivated_user_cannot_sign_in_nor_use_sessions_or_tokens(app, factory, client) -> None:  # type: ignore[no-untyped-def]
    api = factory.user("p@example.org")
    sign_in(client, "p@example.org")
    set_active(app, "p@example.org", False)
    assert client.get("/api/me").status_code == 401
    assert api.get("/api/me").status_code == 401
    assert sign_in(app.test_client(), "p@example.org").status_code == 401
    set_active(app, "p@example.org", True)
    assert api.get("/api/me").status_code == 200
    assert sign_in(app.test_client(), "p@example.org").status_code == 302


# 6. Headers and hosts --------------------------------------------------------------------------


def test_security_headers_on_pages_api_and_downloads(factory, client) -> None:  # type: ignore[no-untyped-def]
    producer = factory.user("p@example.org")
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    producer.put(f"/api/records/{rid}/draft/files/a.html", data=b"<script>alert(1)</script>")
    responses = {
        "page": client.get("/login"),
        "api": client.get("/api/records"),
        "error": client.get("/api/records/nope"),
        "download": producer.get(f"/api/records/{rid}/draft/files/a.html"),
        "static": client.get("/static/alluvium.css", buffered=True),
    }
    for name, r in responses.items():
        assert r.status_code in (200, 404), (name, r.status_code)
        assert r.headers["X-Content-Type-Options"] == "nosniff", name
        assert r.headers["X-Frame-Options"] == "DENY", name
        assert r.headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "no-referrer"), name
    csp = responses["page"].headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


def test_templates_have_no_inline_script_or_style() -> None:
    templates = Path(__file__).resolve().parents[1] / "app" / "templates"
    for path in templates.glob("*.html"):
        html = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path.name
        assert "<style" not in html and " style=" not in html, path.name
        assert not re.search(r"\son[a-z]+=", html), path.name


def test_untrusted_host_headers_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api//records", headers={"Host": "evil.example"})
    assert r.status_code == 400 and "Location" not in r.headers
    r = client.get("/api//records")
    assert r.status_code == 308 and r.headers["Location"] == "/api/records"


def test_trusted_hosts_follow_base_url_and_the_extra_list(database_url: str, instance: Path) -> None:
    app = create_app(
        {
            **make_test_config(database_url, instance, BASE_URL="https://data.example.org/"),
            "TESTING": False,
            "EXTRA_TRUSTED_HOSTS": "mirror.example.org, other.example.org",
        }
    )
    try:
        assert app.config["TRUSTED_HOSTS"] == ["data.example.org", "mirror.example.org", "other.example.org"]
        client = app.test_client()
        assert client.get("/api/records", base_url="https://data.example.org").status_code == 200
        assert client.get("/api/records", base_url="https://mirror.example.org").status_code == 200
        assert client.get("/api/records", base_url="http://localhost").status_code == 400
    finally:
        app.extensions["alluvium.engine"].dispose()
