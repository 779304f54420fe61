"""The deposit form's look-ups of people and organisations (app/web/deposit/lookup.py), against
tests/orcid_ror_standin.py: a local HTTP server speaking ORCID public API v3.0 and ROR API v2
(no network in tests)."""

from __future__ import annotations

import socket

import pytest

from schemas.examples import minimal_example
from tests.orcid_ror_standin import StandIn, orcid_record, ror_organization, serve
from tests.test_web_deposit import new_draft, sign_in

ORCID = "0000-0002-1825-0097"
CNRS = "https://ror.org/02feahw73"


@pytest.fixture
def standin(app):  # type: ignore[no-untyped-def]
    s = StandIn()
    s.orcid[ORCID] = orcid_record(
        ORCID,
        "Josiah",
        "Carberry",
        [("Centre National de la Recherche Scientifique", CNRS, True), ("Brown University", None, False)],
    )
    s.ror["02feahw73"] = ror_organization(
        "02feahw73",
        "French National Centre for Scientific Research",
        acronym="CNRS",
        labels={"fr": "Centre national de la recherche scientifique"},
    )
    s.ror["00rbzpz17"] = ror_organization(
        "00rbzpz17", "Agence Nationale de la Recherche", acronym="ANR", fundref="501100001665"
    )
    server, url = serve(s)
    app.config.update(ORCID_API_URL=f"{url}/v3.0", ROR_API_URL=f"{url}/v2", LOOKUP_TIMEOUT=0.5)
    yield s
    server.shutdown()
    server.server_close()


def test_orcid_look_up_fills_names_and_current_affiliations(standin, factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("p@example.org")
    sign_in(client, "p@example.org")
    r = client.get(f"/deposit/lookup/orcid?id=https://orcid.org/{ORCID}")
    assert r.status_code == 200, r.json
    assert r.json == {
        "orcid": ORCID,
        "given_name": "Josiah",
        "family_name": "Carberry",
        "name": "Carberry, Josiah",
        # The past employer (with an end date) is left out.
        "affiliations": [{"name": "Centre National de la Recherche Scientifique", "ror": CNRS}],
    }
    assert standin.requests == [f"/v3.0/{ORCID}/record"]


def test_identifiers_are_checked_by_the_schema_rules_before_any_request(standin, factory, client) -> None:  # type: ignore[no-untyped-def]
    from vocabularies.identifiers import normalize_orcid, normalize_ror

    factory.user("p@example.org")
    sign_in(client, "p@example.org")
    r = client.get("/deposit/lookup/orcid?id=0000-0002-1825-0098")  # wrong check digit
    assert r.status_code == 400
    assert r.json["errors"][0]["field"] == "/orcid"
    with pytest.raises(ValueError) as expected:
        normalize_orcid("0000-0002-1825-0098")
    assert r.json["errors"][0]["messages"] == [str(expected.value)]
    r = client.get("/deposit/lookup/ror?id=02feahw74")
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "/ror"
    with pytest.raises(ValueError) as expected:
        normalize_ror("02feahw74")
    assert r.json["errors"][0]["messages"] == [str(expected.value)]
    assert standin.requests == []


def test_ror_look_up_in_the_interface_language(standin, factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("p@example.org")
    sign_in(client, "p@example.org")
    fr = client.get("/deposit/lookup/ror?id=02feahw73", headers={"Accept-Language": "fr"}).json
    assert (fr["ror"], fr["name"], fr["acronym"]) == (
        CNRS,
        "Centre national de la recherche scientifique",
        "CNRS",
    )
    en = client.get(f"/deposit/lookup/ror?id={CNRS}", headers={"Accept-Language": "en"}).json
    assert en["name"] == "French National Centre for Scientific Research"


def test_a_funder_is_found_by_its_ror_id_or_its_crossref_funder_id(standin, factory, client) -> None:  # type: ignore[no-untyped-def]
    """The funding items' look-up: the same route fills the funder's name and the identifier's
    type, for a ROR id and for a Crossref Funder ID (found in ROR by its fundref external id)."""
    factory.user("p@example.org")
    sign_in(client, "p@example.org")
    by_ror = client.get("/deposit/lookup/ror?id=00rbzpz17").json
    assert (by_ror["name"], by_ror["funder_identifier"], by_ror["funder_identifier_type"]) == (
        "Agence Nationale de la Recherche",
        "https://ror.org/00rbzpz17",
        "ROR",
    )
    for typed in ("10.13039/501100001665", "https://doi.org/10.13039/501100001665"):
        by_fundref = client.get(f"/deposit/lookup/ror?id={typed}").json
        assert (by_fundref["name"], by_fundref["ror"]) == (
            "Agence Nationale de la Recherche",
            "https://ror.org/00rbzpz17",
        )
        assert by_fundref["funder_identifier"] == "https://doi.org/10.13039/501100001665"
        assert by_fundref["funder_identifier_type"] == "Crossref Funder ID"
    assert standin.requests[-1] == "/v2/organizations?query.advanced=external_ids.all:501100001665"
    # A Crossref Funder ID no ROR organisation records: 404 saying so; a malformed one: the field.
    unknown = client.get("/deposit/lookup/ror?id=10.13039/100000001")
    assert unknown.status_code == 404
    assert "Crossref Funder ID https://doi.org/10.13039/100000001" in unknown.json["message"]
    bad = client.get("/deposit/lookup/ror?id=10.13039/abc")
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "/ror"


def test_unknown_unreachable_failing_and_slow_services_say_so(standin, app, factory, client) -> None:  # type: ignore[no-untyped-def]
    factory.user("p@example.org")
    sign_in(client, "p@example.org")
    r = client.get("/deposit/lookup/orcid?id=0000-0001-5109-3700")
    assert r.status_code == 404 and "0000-0001-5109-3700" in r.json["message"]
    assert client.get("/deposit/lookup/ror?id=044jxhp58").status_code == 404
    standin.down = True
    r = client.get(f"/deposit/lookup/orcid?id={ORCID}")
    assert r.status_code == 502 and r.json["message"] == "ORCID answered HTTP 503; type the details instead"
    standin.down = False
    standin.delay = 1.5
    r = client.get("/deposit/lookup/ror?id=02feahw73")
    assert r.status_code == 504 and "ROR did not answer within 0.5 s" in r.json["message"]
    standin.delay = 0
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.config["ORCID_API_URL"] = f"http://127.0.0.1:{port}/v3.0"
    r = client.get(f"/deposit/lookup/orcid?id={ORCID}")
    assert r.status_code == 502 and "ORCID cannot be reached" in r.json["message"]


def test_look_ups_need_a_signed_in_producer(standin, client) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"/deposit/lookup/orcid?id={ORCID}", headers={"Accept": "application/json"})
    assert r.status_code in (302, 401)
    assert standin.requests == []


def test_people_of_my_earlier_records_are_suggested_not_other_peoples(factory, client) -> None:  # type: ignore[no-untyped-def]
    mine = factory.user("p@example.org")
    md = minimal_example()
    md["creators"] = [
        {
            "type": "Personal",
            "given_name": "Claire",
            "family_name": "Martin",
            "identifiers": [{"identifier": f"https://orcid.org/{ORCID}"}],
            "affiliations": [{"name": "CNRS", "ror": CNRS}],
        }
    ]
    new_draft(mine, md)
    other = factory.user("o@example.org")
    md2 = minimal_example()
    md2["creators"] = [{"type": "Personal", "given_name": "Secret", "family_name": "Person"}]
    new_draft(other, md2)
    sign_in(client, "p@example.org")
    agents = client.get("/deposit/lookup/people").json["agents"]
    names = [a["name"] for a in agents]
    assert "Martin, Claire" in names and "Person, Secret" not in names
    claire = next(a for a in agents if a["name"] == "Martin, Claire")
    assert claire["identifiers"][0]["identifier"] == ORCID  # as the schema normalised it
    assert claire["affiliations"] == [{"name": "CNRS", "ror": CNRS}]
    assert len(names) == len(set(names))
