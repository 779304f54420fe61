"""The OAI-PMH provider at /oai: every verb and error, paging, sets, deletions, datestamps, cache.

Every response is validated against OAI-PMH.xsd together with the schemas of its payloads
(offline, through the standards bundle's catalog).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from _oai import NS, OAI, Repo, error_code, validate
from conftest import make_test_config
from flask import Flask
from lxml import etree
from sqlalchemy import select

from app import create_app
from app.db import new_session
from app.models import OaiItem, OaiPayload
from app.oai import tokens
from app.oai.items import payload_key
from app.oai.protocol import Provider, Settings
from exports.registry import get_format

PREFIXES = ["oai_dc", "oai_datacite", "datacite", "iso19139", "iso19115-3", "dcat"]
DOMAIN = "alluvium.test"


@pytest.fixture
def app(database_url, instance, shared_standards):  # type: ignore[no-untyped-def]
    application = create_app(
        make_test_config(
            database_url,
            instance,
            OAI_REPOSITORY_IDENTIFIER=DOMAIN,
            OAI_RECORDS_PER_PAGE=3,
            OAI_IDENTIFIERS_PER_PAGE=4,
        )
    )
    yield application
    application.extensions["alluvium.engine"].dispose()


@pytest.fixture
def repo(app: Flask) -> Repo:
    return Repo(app)


def oai(client, **params):  # type: ignore[no-untyped-def]
    r = client.get("/oai", query_string=params)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/xml; charset=utf-8"
    return validate(r.data)


def oai_id(rid: str) -> str:
    return f"oai:{DOMAIN}:{rid}"


def headers(root):  # type: ignore[no-untyped-def]
    return root.findall(".//o:header", NS)


def ids_of(root) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.findtext("o:identifier", namespaces=NS) for h in headers(root)]


def token_of(root):  # type: ignore[no-untyped-def]
    return root.find(".//o:resumptionToken", NS)


def harvest(
    client, verb: str = "ListIdentifiers", **params
) -> tuple[list[etree._Element], list[etree._Element]]:  # type: ignore[no-untyped-def]
    """Every page of a list request; returns (pages, resumptionToken elements)."""
    pages, toks = [], []
    root = oai(client, verb=verb, **params)
    while True:
        assert error_code(root) is None, etree.tostring(root)
        pages.append(root)
        tok = token_of(root)
        toks.append(tok)
        if tok is None or not (tok.text or "").strip():
            return pages, toks
        root = oai(client, verb=verb, resumptionToken=tok.text)


def all_ids(pages) -> list[str]:  # type: ignore[no-untyped-def]
    return [i for p in pages for i in ids_of(p)]


def datestamps(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    pages, _ = harvest(client, metadataPrefix="oai_dc")
    return {
        h.findtext("o:identifier", namespaces=NS): h.findtext("o:datestamp", namespaces=NS)
        for p in pages
        for h in headers(p)
    }


# --- Identify, errors -----------------------------------------------------------------------


def test_identify_describes_the_repository(client, repo) -> None:  # type: ignore[no-untyped-def]
    repo.publish(1)
    root = oai(client, verb="Identify")
    ident = root.find("o:Identify", NS)
    assert ident.findtext("o:baseURL", namespaces=NS) == "http://alluvium.test/oai"
    assert ident.findtext("o:protocolVersion", namespaces=NS) == "2.0"
    assert ident.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert ident.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert ident.findtext("o:adminEmail", namespaces=NS) == "admin@alluvium.invalid"
    earliest = ident.findtext("o:earliestDatestamp", namespaces=NS)
    assert earliest <= min(datestamps(client).values())
    desc = ident.find("o:description/{http://www.openarchives.org/OAI/2.0/oai-identifier}oai-identifier", NS)
    assert desc.findtext("{http://www.openarchives.org/OAI/2.0/oai-identifier}repositoryIdentifier") == DOMAIN
    req = root.find("o:request", NS)
    assert req.get("verb") == "Identify" and req.text == "http://alluvium.test/oai"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", root.findtext("o:responseDate", namespaces=NS))


def test_post_is_answered_like_get(client, repo) -> None:  # type: ignore[no-untyped-def]
    rid = repo.publish(1)
    r = client.post("/oai", data={"verb": "GetRecord", "identifier": oai_id(rid), "metadataPrefix": "oai_dc"})
    assert r.status_code == 200
    root = validate(r.data)
    assert ids_of(root) == [oai_id(rid)]


@pytest.mark.parametrize(
    "query",
    ["", "verb=Explode", "verb=Identify&verb=Identify", "verb=identify"],
    ids=["no-verb", "unknown", "repeated", "wrong-case"],
)
def test_bad_verb(client, query: str) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/oai?" + query)
    assert r.status_code == 200
    root = validate(r.data)
    assert error_code(root) == "badVerb"
    assert root.find("o:request", NS).attrib == {}


@pytest.mark.parametrize(
    "query, words",
    [
        ("verb=Identify&foo=bar", "'foo' is not an argument"),
        ("verb=ListRecords", "needs metadataPrefix"),
        ("verb=GetRecord&metadataPrefix=oai_dc", "needs identifier"),
        ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=datacite", "given 2 times"),
        ("verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=x", "exclusive"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-13-01", "not a valid date"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-02-30", "not a valid date"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=yesterday", "YYYY-MM-DD"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-01T00:00:00", "YYYY-MM-DD"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-01&until=2024-02-01T00:00:00Z", "granularity"),
        ("verb=ListIdentifiers&metadataPrefix=oai_dc&from=2024-03-01&until=2024-02-01", "later than until"),
        ("verb=ListSets&set=x", "'set' is not an argument"),
    ],
)
def test_bad_argument_is_named_and_the_request_element_has_no_attributes(client, query, words) -> None:  # type: ignore[no-untyped-def]
    root = validate(client.get("/oai?" + query).data)
    assert error_code(root) == "badArgument"
    assert words in root.findtext("o:error", namespaces=NS)
    assert root.find("o:request", NS).attrib == {}


def test_cannot_disseminate_format_and_id_does_not_exist(client, repo) -> None:  # type: ignore[no-untyped-def]
    rid = repo.publish(1)
    root = oai(client, verb="GetRecord", identifier=oai_id(rid), metadataPrefix="marc21")
    assert error_code(root) == "cannotDisseminateFormat"
    # Other errors echo the (valid) arguments in <request>.
    assert root.find("o:request", NS).get("metadataPrefix") == "marc21"
    assert error_code(oai(client, verb="ListRecords", metadataPrefix="marc21")) == "cannotDisseminateFormat"
    for identifier in (oai_id("nope0-nope0"), f"oai:other.example.org:{rid}", rid):
        assert error_code(oai(client, verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")) == (
            "idDoesNotExist"
        )
        assert error_code(oai(client, verb="ListMetadataFormats", identifier=identifier)) == "idDoesNotExist"


def test_a_draft_or_submission_is_not_in_the_feed(client, repo, app) -> None:  # type: ignore[no-untyped-def]
    from app.services import records as svc

    with app.app_context(), new_session(app) as s:
        draft = svc.create_draft(s, repo.p, repo.metadata(9)).id
        s.commit()
    assert error_code(oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")) == "noRecordsMatch"
    root = oai(client, verb="GetRecord", identifier=oai_id(draft), metadataPrefix="oai_dc")
    assert error_code(root) == "idDoesNotExist"


def test_no_records_match(client, repo) -> None:  # type: ignore[no-untyped-def]
    repo.publish(1)
    assert error_code(oai(client, verb="ListRecords", metadataPrefix="oai_dc", set="community-nope")) == (
        "noRecordsMatch"
    )
    assert error_code(oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2000-01-01")) == (
        "noRecordsMatch"
    )
    assert error_code(
        oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2999-01-01"})
    ) == ("noRecordsMatch")


# --- formats and records --------------------------------------------------------------------


def test_list_metadata_formats(client, repo) -> None:  # type: ignore[no-untyped-def]
    rid = repo.publish(1)
    for params in ({}, {"identifier": oai_id(rid)}):
        root = oai(client, verb="ListMetadataFormats", **params)
        found = {
            f.findtext("o:metadataPrefix", namespaces=NS): f.findtext("o:metadataNamespace", namespaces=NS)
            for f in root.findall(".//o:metadataFormat", NS)
        }
        assert list(found) == PREFIXES
        assert found["oai_dc"] == "http://www.openarchives.org/OAI/2.0/oai_dc/"
        assert found["datacite"] == "http://datacite.org/schema/kernel-4"
        assert found["oai_datacite"] == "http://schema.datacite.org/oai/oai-1.1/"
        assert found["iso19139"] == "http://www.isotc211.org/2005/gmd"
        assert found["iso19115-3"] == "http://standards.iso.org/iso/19115/-3/mdb/2.0"
        assert found["dcat"] == "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_get_record_in_every_format_is_valid_and_self_contained(client, repo, app, prefix) -> None:  # type: ignore[no-untyped-def]
    from schemas.examples import rich_example

    rid = repo.publish(1, metadata=rich_example())
    r = client.get(
        "/oai", query_string={"verb": "GetRecord", "identifier": oai_id(rid), "metadataPrefix": prefix}
    )
    root = validate(r.data)
    record = root.find("o:GetRecord/o:record", NS)
    assert record.findtext("o:header/o:identifier", namespaces=NS) == oai_id(rid)
    metadata = record.find("o:metadata", NS)
    assert metadata.attrib == {}
    assert len(metadata) == 1
    # The payload as raw text (what Dataverse's importer copies) parses on its own, with no
    # namespace inherited from the envelope, and equals the crosswalk's standalone output.
    text = r.data.decode()
    start = text.index("<metadata>") + len("<metadata>")
    raw = text[start : text.index("</metadata>", start)]
    alone = etree.fromstring(raw.encode())
    assert etree.QName(alone).namespace == get_format({"dcat": "dcat-rdfxml"}.get(prefix, prefix)).namespace
    assert not any(isinstance(el.tag, str) and etree.QName(el).namespace == OAI for el in alone.iter()), (
        "a payload element fell into the OAI namespace"
    )
    c14n = {"method": "c14n", "exclusive": True}
    assert etree.tostring(alone, **c14n) == etree.tostring(metadata[0], **c14n)


def test_oai_dc_first_identifier_is_the_citable_url(client, repo) -> None:  # type: ignore[no-untyped-def]
    rid = repo.publish(1)
    root = oai(client, verb="GetRecord", identifier=oai_id(rid), metadataPrefix="oai_dc")
    first = root.find(".//{http://purl.org/dc/elements/1.1/}identifier")
    # Local PID provider: no DOI, so the landing page is the citable, resolvable identifier.
    assert first.text == f"http://alluvium.test/records/{rid}"


# --- paging ---------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [10, 9])
def test_paging_cursor_size_and_last_page(client, repo, count) -> None:  # type: ignore[no-untyped-def]
    rids = [repo.publish(n) for n in range(count)]
    pages, toks = harvest(client, "ListRecords", metadataPrefix="oai_dc")
    sizes = [len(p.findall(".//o:record", NS)) for p in pages]
    assert sizes == ([3, 3, 3, 1] if count == 10 else [3, 3, 3])  # no empty page after a full one
    assert [t.get("cursor") for t in toks] == [str(3 * i) for i in range(len(pages))]
    assert {t.get("completeListSize") for t in toks} == {str(count)}
    assert all(t.get("expirationDate") for t in toks[:-1])
    assert (toks[-1].text or "") == "" and toks[-1].get("expirationDate") is None
    assert sorted(all_ids(pages)) == sorted(oai_id(r) for r in rids)
    # ListIdentifiers pages by 4.
    pages, _ = harvest(client, metadataPrefix="oai_dc")
    assert [len(headers(p)) for p in pages] == ([4, 4, 2] if count == 10 else [4, 4, 1])


def test_one_page_needs_no_token(client, repo) -> None:  # type: ignore[no-untyped-def]
    repo.publish(1)
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert len(headers(root)) == 1 and token_of(root) is None


def test_tokens_expire_after_the_ttl_and_refuse_tampering(app, client, repo) -> None:  # type: ignore[no-untyped-def]
    for n in range(5):
        repo.publish(n)
    first = oai(client, verb="ListRecords", metadataPrefix="oai_dc")
    tok = token_of(first)
    expires = datetime.strptime(tok.get("expirationDate"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert expires - datetime.now(UTC) > timedelta(hours=24)
    body, sig = tok.text.split(".")
    flipped = body[:-1] + ("A" if body[-1] != "A" else "B")
    for bad in (f"{flipped}.{sig}", f"{body}.{sig[::-1]}", "garbage", tok.text + "x"):
        root = oai(client, verb="ListRecords", resumptionToken=bad)
        assert error_code(root) == "badResumptionToken", bad
    # Signed with another instance's secret: refused.
    cursor = tokens.decode(tok.text, app.config["SECRET_KEY"], verb="ListRecords")
    forged = tokens.encode(cursor, "another secret")
    assert error_code(oai(client, verb="ListRecords", resumptionToken=forged)) == "badResumptionToken"
    # A ListRecords token is not a ListIdentifiers token.
    assert error_code(oai(client, verb="ListIdentifiers", resumptionToken=tok.text)) == "badResumptionToken"
    assert error_code(oai(client, verb="ListSets", resumptionToken=tok.text)) == "badResumptionToken"
    # After its expiry (the provider asked about a later "now"), the token is refused.
    provider = Provider(Settings.from_config(app.config))
    with new_session(app) as s:
        later = provider.handle(
            s, {"verb": ["ListRecords"], "resumptionToken": [tok.text]}, now=expires + timedelta(seconds=1)
        )
        sooner = provider.handle(
            s, {"verb": ["ListRecords"], "resumptionToken": [tok.text]}, now=expires - timedelta(hours=1)
        )
    assert later.error == "badResumptionToken" and b"expired" in later.body
    assert sooner.error is None


def test_a_token_survives_a_restart(app, client, repo, database_url, instance) -> None:  # type: ignore[no-untyped-def]
    rids = [repo.publish(n) for n in range(5)]
    tok = token_of(oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2000-01-01"}))
    # A new application process on the same instance (same secret key file) resumes the harvest.
    other = create_app(
        make_test_config(database_url, instance, OAI_REPOSITORY_IDENTIFIER=DOMAIN, OAI_IDENTIFIERS_PER_PAGE=4)
    )
    try:
        root = validate(
            other.test_client()
            .get("/oai", query_string={"verb": "ListIdentifiers", "resumptionToken": tok.text})
            .data
        )
        assert error_code(root) is None and len(headers(root)) == 1
        assert root.find("o:request", NS).get("resumptionToken") == tok.text
    finally:
        other.extensions["alluvium.engine"].dispose()
    assert len(rids) == 5


# --- sets -----------------------------------------------------------------------------------


def test_sets_communities_types_openaire_and_admin_sets(client, repo, factory) -> None:  # type: ignore[no-untyped-def]
    plain = repo.publish(1, community="aeris")
    funded_md = repo.metadata(2, funding=[{"funder_name": "Agence nationale de la recherche"}])
    funded = repo.publish(2, community="odatis", metadata=funded_md)
    linked_md = repo.metadata(
        3,
        related_identifiers=[
            {
                "identifier": "10.5194/essd-1-1-2024",
                "relation_type": "IsSupplementTo",
                "resource_type": "JournalArticle",
            }
        ],
    )
    linked = repo.publish(3, community="odatis", metadata=linked_md)
    admin = factory.user("boss@example.org", role="admin", scopes=["read", "deposit", "moderate"])
    r = admin.put(
        "/api/oai/sets/rdg", json={"name": "Recherche Data Gouv", "criteria": {"communities": ["odatis"]}}
    )
    assert r.status_code == 201, r.json

    root = oai(client, verb="ListSets")
    specs = {
        s.findtext("o:setSpec", namespaces=NS): s.findtext("o:setName", namespaces=NS)
        for s in root.findall(".//o:set", NS)
    }
    assert {
        "community-aeris",
        "community-odatis",
        "type-dataset",
        "type-software",
        "openaire_data",
        "rdg",
    } <= set(specs)
    assert specs["rdg"] == "Recherche Data Gouv"

    def members(spec: str) -> set[str]:
        pages, _ = harvest(client, metadataPrefix="oai_dc", set=spec)
        return set(all_ids(pages))

    assert members("community-aeris") == {oai_id(plain)}
    assert members("community-odatis") == {oai_id(funded), oai_id(linked)}
    assert members("openaire_data") == {oai_id(funded), oai_id(linked)}
    assert members("rdg") == {oai_id(funded), oai_id(linked)}
    assert members("type-dataset") == {oai_id(plain), oai_id(funded), oai_id(linked)}
    assert error_code(oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="type-software")) == (
        "noRecordsMatch"
    )
    # A record in several sets lists every one in its header.
    root = oai(client, verb="GetRecord", identifier=oai_id(funded), metadataPrefix="oai_dc")
    assert [s.text for s in root.findall(".//o:header/o:setSpec", NS)] == [
        "community-odatis",
        "openaire_data",
        "rdg",
        "type-dataset",
    ]


def test_changing_a_set_moves_the_datestamps_of_the_records_whose_membership_changed(
    client, repo, factory, app
) -> None:  # type: ignore[no-untyped-def]
    a = repo.publish(1, community="aeris")
    o = repo.publish(2, community="odatis")
    admin = factory.user("boss@example.org", role="admin", scopes=["read", "deposit", "moderate"])
    assert (
        admin.put(
            "/api/oai/sets/rdg", json={"name": "RDG", "criteria": {"communities": ["aeris"]}}
        ).status_code
        == 201
    )
    with new_session(app) as s:
        before = {
            i.record_id: (i.id, i.datestamp)
            for i in s.scalars(select(OaiItem).where(OaiItem.superseded_at.is_(None)))
        }
    r = admin.put("/api/oai/sets/rdg", json={"name": "RDG", "criteria": {"communities": ["aeris", "odatis"]}})
    assert r.status_code == 200
    with new_session(app) as s:
        after = {
            i.record_id: (i.id, i.datestamp)
            for i in s.scalars(select(OaiItem).where(OaiItem.superseded_at.is_(None)))
        }
    assert after[a] == before[a]  # still in rdg: unchanged
    assert after[o][1] > before[o][1]  # joined rdg: new datestamp
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="rdg")
    assert set(ids_of(root)) == {oai_id(a), oai_id(o)}
    # Deleting the set moves both (they left it) and the set is gone from ListSets.
    assert admin.delete("/api/oai/sets/rdg").status_code == 204
    with new_session(app) as s:
        final = {
            i.record_id: i.datestamp
            for i in s.scalars(select(OaiItem).where(OaiItem.superseded_at.is_(None)))
        }
    assert final[a] > after[a][1] and final[o] > after[o][1]
    assert "rdg" not in [s.text for s in oai(client, verb="ListSets").findall(".//o:setSpec", NS)]


def test_admin_set_api_checks_its_input_and_its_caller(factory, repo) -> None:  # type: ignore[no-untyped-def]
    admin = factory.user("boss@example.org", role="admin", scopes=["read", "deposit", "moderate"])
    mod = factory.user("m2@example.org", role="moderator", communities=["aeris"], scopes=["read", "moderate"])
    cases = [
        ("community-x", {"name": "x"}, "/spec"),
        ("openaire_data", {"name": "x"}, "/spec"),
        ("bad spec", {"name": "x"}, "/spec"),
        ("rdg", {"name": ""}, "/name"),
        ("rdg", {"name": "x", "criteria": {"colour": ["red"]}}, "/criteria/colour"),
        ("rdg", {"name": "x", "criteria": {"resource_types": ["Spreadsheet"]}}, "/criteria/resource_types"),
        ("rdg", {"name": "x", "criteria": {"require_doi": "yes"}}, "/criteria/require_doi"),
        ("rdg", {"name": "x", "criteria": []}, "/criteria"),
    ]
    for spec, body, field in cases:
        r = admin.put(f"/api/oai/sets/{spec}", json=body)
        assert r.status_code == 400, (spec, body, r.json)
        assert field in [e["field"] for e in r.json["errors"]], r.json
    assert factory.anonymous().put("/api/oai/sets/rdg", json={"name": "x"}).status_code == 401
    assert mod.put("/api/oai/sets/rdg", json={"name": "x"}).status_code == 403
    assert admin.delete("/api/oai/sets/nope").status_code == 404
    assert admin.get("/api/oai/sets").json["hits"]["total"] == 0  # nothing was half-written


# --- deletions, datestamps, incremental harvests -------------------------------------------


def test_a_withdrawn_record_stays_as_deleted_with_the_withdrawal_datestamp(client, repo, app) -> None:  # type: ignore[no-untyped-def]
    keep = repo.publish(1)
    gone = repo.publish(2)
    before = datestamps(client)
    repo.withdraw(gone)
    root = oai(client, verb="GetRecord", identifier=oai_id(gone), metadataPrefix="datacite")
    header = root.find(".//o:header", NS)
    assert header.get("status") == "deleted"
    assert root.find(".//o:metadata", NS) is None
    after = datestamps(client)
    assert after[oai_id(gone)] >= before[oai_id(gone)]
    with new_session(app) as s:
        item = s.scalar(select(OaiItem).where(OaiItem.record_id == gone, OaiItem.superseded_at.is_(None)))
        assert item.deleted
    assert after[oai_id(keep)] == before[oai_id(keep)]
    # It is still in its sets (a selective harvester must learn of the deletion).
    assert [s.text for s in header.findall("o:setSpec", NS)] == ["community-aeris", "type-dataset"]
    # ListRecords shows it with a header only.
    root = oai(client, verb="ListRecords", metadataPrefix="oai_dc", set="community-aeris")
    deleted = [
        r for r in root.findall(".//o:record", NS) if r.find("o:header", NS).get("status") == "deleted"
    ]
    assert len(deleted) == 1 and deleted[0].find("o:metadata", NS) is None


def test_incremental_harvest_from_and_until(client, repo, app) -> None:  # type: ignore[no-untyped-def]
    old = [repo.publish(n) for n in range(3)]
    # Date the first three a day back (as if published yesterday).
    with new_session(app) as s:
        for item in s.scalars(select(OaiItem)):
            item.datestamp -= timedelta(days=1)
        s.commit()
    new = repo.publish(9)
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    pages, _ = harvest(client, metadataPrefix="oai_dc", **{"from": today})
    assert all_ids(pages) == [oai_id(new)]
    pages, _ = harvest(client, metadataPrefix="oai_dc", until=yesterday)  # day granularity: whole day
    assert sorted(all_ids(pages)) == sorted(oai_id(r) for r in old)
    stamp = datestamps(client)[oai_id(new)]
    pages, _ = harvest(client, "ListRecords", metadataPrefix="oai_dc", **{"from": stamp, "until": stamp})
    assert all_ids(pages) == [oai_id(new)]


def test_a_new_version_moves_the_previous_versions_datestamp(client, repo) -> None:  # type: ignore[no-untyped-def]
    v1 = repo.publish(1)
    before = datestamps(client)
    v2 = repo.new_version(v1, 2)
    after = datestamps(client)
    assert oai_id(v2) in after
    # v1 is no longer the latest version: its exported metadata says so, so its datestamp moved.
    assert after[oai_id(v1)] >= before[oai_id(v1)]


def test_a_harvest_sees_the_repository_as_it_was_when_it_started(client, repo, app) -> None:  # type: ignore[no-untyped-def]
    """Sequential version of the concurrency test: changes between pages neither add, drop nor
    repeat records; the next incremental harvest picks them up."""
    rids = [repo.publish(n) for n in range(8)]
    first = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    started = first.findtext("o:responseDate", namespaces=NS)
    seen = ids_of(first)
    assert len(seen) == 4
    seen_rids = [i.rsplit(":", 1)[1] for i in seen]
    unseen = [r for r in rids if r not in seen_rids]
    # Between pages: withdraw one harvested and one not yet harvested record, publish a new one,
    # and publish a new version of a not-yet-harvested record.
    repo.withdraw(seen_rids[0])
    repo.withdraw(unseen[0])
    fresh = repo.publish(99)
    v2 = repo.new_version(unseen[1], 98)
    root = oai(client, verb="ListIdentifiers", resumptionToken=token_of(first).text)
    rest = ids_of(root)
    assert token_of(root).text is None and token_of(root).get("completeListSize") == "8"
    harvested = seen + rest
    assert sorted(harvested) == sorted(oai_id(r) for r in rids)  # exactly the 8, once each
    # The next incremental harvest from the first response's date picks up every change.
    pages, _ = harvest(client, metadataPrefix="oai_dc", **{"from": started})
    changed = {h.findtext("o:identifier", namespaces=NS): h.get("status") for p in pages for h in headers(p)}
    assert changed[oai_id(seen_rids[0])] == "deleted"
    assert changed[oai_id(unseen[0])] == "deleted"
    assert changed[oai_id(fresh)] is None and changed[oai_id(v2)] is None
    assert oai_id(unseen[1]) in changed  # no longer the latest version


# --- cache ----------------------------------------------------------------------------------


def test_payloads_are_cached_per_version_and_format_and_served_from_the_cache(client, repo, app) -> None:  # type: ignore[no-untyped-def]
    rid = repo.publish(1)
    oai(client, verb="ListRecords", metadataPrefix="datacite")
    with new_session(app) as s:
        cached = s.get(OaiPayload, (rid, "datacite"))
        item = s.scalar(select(OaiItem).where(OaiItem.record_id == rid, OaiItem.superseded_at.is_(None)))
        assert cached is not None and cached.fingerprint == payload_key(item.fingerprint, "datacite")
        assert s.get(OaiPayload, (rid, "oai_dc")) is None  # only what was asked for
        # Prove the next page is served from the cache: alter the cached bytes.
        marker = cached.body.replace(b"Test dataset 1", b"Served from cache")
        cached.body = marker
        s.commit()
    root = oai(client, verb="GetRecord", identifier=oai_id(rid), metadataPrefix="datacite")
    assert b"Served from cache" in etree.tostring(root)
    # A change to the record (a new version makes this one not-latest) invalidates the entry.
    repo.new_version(rid, 2)
    root = oai(client, verb="GetRecord", identifier=oai_id(rid), metadataPrefix="datacite")
    assert b"Served from cache" not in etree.tostring(root)
    with new_session(app) as s:
        item = s.scalar(select(OaiItem).where(OaiItem.record_id == rid, OaiItem.superseded_at.is_(None)))
        assert s.get(OaiPayload, (rid, "datacite")).fingerprint == payload_key(item.fingerprint, "datacite")


def test_prune_removes_only_old_superseded_states(client, repo, app) -> None:  # type: ignore[no-untyped-def]
    from app.oai.items import prune

    rid = repo.publish(1)
    repo.withdraw(rid)
    with new_session(app) as s:
        assert prune(s, timedelta(days=7)) == 0
        for item in s.scalars(select(OaiItem).where(OaiItem.superseded_at.is_not(None))):
            item.superseded_at -= timedelta(days=8)
        s.flush()
        assert prune(s, timedelta(days=7)) == 1
        s.commit()
        assert len(s.scalars(select(OaiItem).where(OaiItem.record_id == rid)).all()) == 1
    root = oai(client, verb="GetRecord", identifier=oai_id(rid), metadataPrefix="oai_dc")
    assert root.find(".//o:header", NS).get("status") == "deleted"


# --- configuration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting, value, words",
    [
        ("OAI_REPOSITORY_IDENTIFIER", "127.0.0.1", "OAI_REPOSITORY_IDENTIFIER"),
        ("OAI_REPOSITORY_IDENTIFIER", "localhost", "OAI_REPOSITORY_IDENTIFIER"),
        ("OAI_TOKEN_TTL", 3600, "OAI_TOKEN_TTL"),
        ("OAI_RECORDS_PER_PAGE", 0, "OAI_RECORDS_PER_PAGE"),
        ("OAI_SNAPSHOT_RETENTION", 86400, "OAI_SNAPSHOT_RETENTION"),
    ],
)
def test_bad_oai_settings_refuse_to_start(database_url, instance, setting, value, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=words):
        create_app(make_test_config(database_url, instance, **{setting: value}))


def test_cli_lists_defines_and_resyncs_sets(app, repo, instance, database_url) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from app.cli import main

    rid = repo.publish(1, community="odatis")
    env = {
        "ALLUVIUM_DATABASE_URL": database_url,
        "ALLUVIUM_INSTANCE_PATH": str(instance),
        "ALLUVIUM_OAI_REPOSITORY_IDENTIFIER": DOMAIN,
    }
    runner = CliRunner()
    bad = runner.invoke(main, ["oai", "set", "rdg", "--name", "RDG", "--criteria", "{nope"], env=env)
    assert bad.exit_code != 0 and "--criteria is not JSON" in bad.output
    bad = runner.invoke(main, ["oai", "set", "type-x", "--name", "RDG"], env=env)
    assert bad.exit_code != 0 and "/spec" in bad.output
    ok = runner.invoke(
        main, ["oai", "set", "rdg", "--name", "RDG", "--criteria", '{"communities": ["odatis"]}'], env=env
    )
    assert ok.exit_code == 0, ok.output
    assert "1 record version(s) checked, 1 new item state(s)" in ok.output
    listed = runner.invoke(main, ["oai", "sets"], env=env)
    assert "rdg\tRDG" in listed.output and "community-odatis\t" in listed.output
    again = runner.invoke(main, ["oai", "sync"], env=env)
    assert "1 record version(s) checked, 0 new item state(s)" in again.output
    with new_session(app) as s:
        item = s.scalar(select(OaiItem).where(OaiItem.record_id == rid, OaiItem.superseded_at.is_(None)))
        assert "rdg" in item.sets
    pruned = runner.invoke(main, ["oai", "prune"], env=env)
    assert pruned.exit_code == 0 and "0 superseded item state(s) deleted" in pruned.output


@pytest.mark.parametrize("prefix", ["iso19139", "iso19115-3"])
def test_list_records_page_of_multilingual_iso_records_is_valid(client, repo, prefix) -> None:  # type: ignore[no-untyped-def]
    """xs:ID values (PT_Locale/@id, gml:id) are unique per XML document, and a ListRecords page
    is one document: three multilingual records with spatial and temporal extents on one page
    used to repeat id="ENG" and gml:id="period3" (invalid against OAI-PMH.xsd + the ISO schemas)."""
    from schemas.examples import rich_example

    for n in range(3):
        md = rich_example()
        md["titles"] = [{**t, "text": f"{t['text']} {n}"} for t in md["titles"]]
        repo.publish(n, metadata=md)
    root = oai(client, verb="ListRecords", metadataPrefix=prefix)  # validates the whole page
    payloads = root.findall("o:ListRecords/o:record/o:metadata", NS)
    assert len(payloads) == 3
    gml_id = "{http://www.opengis.net/gml/3.2}id"
    ids = [el.get(attr) for el in root.iter() for attr in ("id", gml_id) if el.get(attr) is not None]
    assert len(ids) >= 3 * 5  # per record: a locale, a polygon, a point, two periods
    assert len(ids) == len(set(ids)), sorted(ids)
    for payload in payloads:
        own = {el.get("id") for el in payload.iter() if el.get("id")}
        refs = {el.get("locale") for el in payload.iter() if el.get("locale")}
        assert refs and {r.removeprefix("#") for r in refs} <= own


def test_a_writer_upgrade_reaches_harvesters_for_exactly_the_records_it_changes(
    app, client, repo, instance, database_url, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Issue 10: payloads and item states are keyed by the document *and* the writer version.
    A new release's oai_dc writer cannot run here, so the test registers a changed writer (a new
    ``version``, output different for one record only) in place of the current one, as an upgrade
    does, then runs the real ``alluvium oai sync``."""
    import dataclasses

    from click.testing import CliRunner

    from app.cli import main
    from exports import registry

    changed, same = repo.publish(1), repo.publish(2)
    for rid in (changed, same):  # fill the payload cache as a harvest does
        oai(client, verb="GetRecord", identifier=oai_id(rid), metadataPrefix="oai_dc")

    def current_items():  # type: ignore[no-untyped-def]
        with new_session(app) as s:
            return {
                i.record_id: (i.id, i.datestamp)
                for i in s.scalars(select(OaiItem).where(OaiItem.superseded_at.is_(None)))
            }

    env = {
        "ALLUVIUM_DATABASE_URL": database_url,
        "ALLUVIUM_INSTANCE_PATH": str(instance),
        "ALLUVIUM_OAI_REPOSITORY_IDENTIFIER": DOMAIN,
        "ALLUVIUM_BASE_URL": app.config["BASE_URL"],  # the same documents as the test app
    }
    runner = CliRunner()
    assert (
        "2 record version(s) checked, 0 new item state(s)"
        in runner.invoke(main, ["oai", "sync"], env=env).output
    )
    before = current_items()

    old = registry.get_format("oai_dc")

    def upgraded(document):  # type: ignore[no-untyped-def]
        body = old.writer(document)
        if document["id"] != changed:
            return body
        return body.replace(b"</oai_dc:dc>", b"<dc:source>corrected by the upgrade</dc:source></oai_dc:dc>")

    monkeypatch.setitem(
        registry._REGISTRY, "oai_dc", dataclasses.replace(old, writer=upgraded, version="test-3")
    )
    # Before the sync the cache is already invalid (the writer version is in its key): the new output is served.
    served = oai(client, verb="GetRecord", identifier=oai_id(changed), metadataPrefix="oai_dc")
    assert b"corrected by the upgrade" in etree.tostring(served)
    result = runner.invoke(main, ["oai", "sync"], env=env)
    assert result.exit_code == 0, result.output
    assert "2 record version(s) checked, 1 new item state(s)" in result.output
    after = current_items()
    assert after[changed][1] > before[changed][1]  # a new state: incremental harvests see the correction
    assert after[same] == before[same]  # same state, same datestamp: its output did not change
    stamp = after[changed][1].strftime("%Y-%m-%dT%H:%M:%SZ")
    incremental = oai(client, verb="ListRecords", metadataPrefix="oai_dc", **{"from": stamp})
    assert oai_id(changed) in ids_of(incremental)
    assert b"corrected by the upgrade" in etree.tostring(incremental)
    # a second sync finds nothing left to do
    assert "0 new item state(s)" in runner.invoke(main, ["oai", "sync"], env=env).output
