"""Audit of issue 10 ("Real-world records survive import and export"): the items the other
fidelity tests did not cover (notes/audit10.md lists every item and its test).

- every export of every imported draft that has the format's mandatory content validates
  against the official schema (XSD; DCAT-AP 3.0.1 SHACL for DCAT), over every upstream example
  the standards bundle holds and the hand-written foreign records;
- the ISO 19115-1 role ``contributor`` (the other fixture covers coAuthor, collaborator and
  funder) and the same roles read from ISO 19115-3;
- an imported ISO record's DOI (an ``MD_Identifier`` holding a doi.org URL) is kept in the draft
  and every format exports it;
- a writer whose output changes must get a new ``Format.version`` (the version is what makes
  ``alluvium oai sync`` re-render and move datestamps): a frozen set of documents is written by
  every format and compared with the digests recorded for the current versions.

Expected values are written by hand, except the recorded writer digests (see that test).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from curation.checks import export_problems
from exports import registry
from exports.importing import import_record
from schemas import load_record_document

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("ALLUVIUM_STANDARDS", HERE.parents[1] / "shared" / "standards"))
XSD = SHARED / "xsd"

DATACITE_FAMILY = {"datacite", "datacite45", "oai_datacite"}


def _inputs() -> list[Path]:
    """Every record the bundle holds that our readers take (DataCite kernels 2.0 to 4.7 and the
    OAI wrappers, the 19115-3 examples), and the hand-written foreign records of the tests."""
    found = glob.glob(str(XSD / "schema.datacite.org/meta/*/example/*.xml"))
    found += glob.glob(str(XSD / "schema.datacite.org/oai/*/*.xml"))
    found += [
        p
        for p in glob.glob(str(XSD / "schemas.isotc211.org/19115/-3/*/*/*.xml"))
        if "invalid" not in p and "codelists" not in p
    ]
    found += glob.glob(str(HERE / "data" / "foreign_*.xml")) + [str(HERE / "data" / "sextant_gml2006.xml")]
    return sorted(Path(p) for p in found)


INPUTS = _inputs()


def _imported(path: Path):  # type: ignore[no-untyped-def]
    try:
        name, result = import_record(path.read_bytes())
    except registry.ImportError_ as exc:
        # 19115-3 fragments whose root is not a metadata record (MI_AcquisitionInformation, …)
        pytest.skip(f"not a metadata record: {exc}")
    document = load_record_document(
        {
            "id": "imp-0001",
            "links": {"self_html": "https://alluvium.example.org/records/imp-0001"},
            "metadata": result.metadata,
        }
    )
    return name, result, document


def _datacite_mandatory(md: dict[str, Any]) -> bool:
    """DataCite's mandatory properties that an imported draft may lack (identifier, year and
    resource type are always written: the record's own id, the publication date or year, and
    the canonical resource type)."""
    return bool(md.get("creators") and md.get("titles") and (md.get("publisher") or {}).get("name"))


def test_the_standards_bundle_gives_enough_inputs(shared_standards: Path) -> None:
    kinds = {p.suffix for p in INPUTS}
    assert kinds == {".xml"}
    assert sum("schema.datacite.org" in str(p) for p in INPUTS) >= 190
    assert sum("19115/-3" in str(p) for p in INPUTS) >= 20


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: "/".join(p.parts[-3:]))
def test_every_export_of_every_imported_draft_validates(path: Path, shared_standards: Path) -> None:
    """Issue 10, Verification: each imported draft is exported in every registered format;
    XML formats are validated against their official XSD. A DataCite-family export may fail
    only when the draft lacks DataCite's mandatory content (ISO records name no publisher);
    every other format must validate whatever the draft holds."""
    _, _, document = _imported(path)
    problems = [p for p in export_problems(document) if p[0] != "*"]
    allowed = set() if _datacite_mandatory(document["metadata"]) else DATACITE_FAMILY
    assert [p for p in problems if p[0] not in allowed] == []


def test_drafts_with_datacite_mandatory_content_are_the_majority(shared_standards: Path) -> None:
    """The exception above must not hide the test: most imported drafts have the content."""
    complete = 0
    for path in INPUTS:
        try:
            _, result = import_record(path.read_bytes())
        except registry.ImportError_:
            continue
        complete += _datacite_mandatory(result.metadata)
    assert complete >= 190


# --- DCAT-AP 3.0.1 (SHACL) -------------------------------------------------------------------


@cache
def _dcat_ap_shapes() -> Any:
    """DCAT-AP 3.0.1 SHACL with ranges; the upstream defect (property shapes without sh:path,
    standards README) removed in memory, as tests/test_export_dcat.py does."""
    from rdflib import Graph, Namespace

    sh = Namespace("http://www.w3.org/ns/shacl#")
    shapes = Graph()
    root = SHARED / "shacl" / "dcat-ap" / "3.0.1" / "shacl"
    for name in ("dcat-ap-SHACL.ttl", "ranges.ttl"):
        shapes.parse(root / name)
    for s, o in [(s, o) for s, o in shapes.subject_objects(sh.property) if shapes.value(o, sh.path) is None]:
        shapes.remove((s, sh.property, o))
    return shapes


def _dcat_violations(document: dict[str, Any]) -> tuple[set[tuple[str, str]], str]:
    """(constraint component, path) of every DCAT-AP violation of the draft's DCAT export."""
    import pyshacl
    from rdflib import Namespace

    from exports import dcat
    from vocabularies import rdf

    sh = Namespace("http://www.w3.org/ns/shacl#")
    data = rdf.parse_graph(dcat.write_turtle(document), "turtle")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        _, report, text = pyshacl.validate(data, shacl_graph=_dcat_ap_shapes(), inference="none")
    found = {
        (
            str(report.value(r, sh.sourceConstraintComponent)).rsplit("#", 1)[-1],
            str(report.value(r, sh.resultPath)),
        )
        for r in report.subjects(sh.resultSeverity, sh.Violation)
    }
    return found, text


DCT = "http://purl.org/dc/terms/"


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: "/".join(p.parts[-3:]))
def test_dcat_export_of_every_imported_draft_conforms_to_dcat_ap(path: Path, shared_standards: Path) -> None:
    """DCAT-AP's mandatory content of a dataset is a title and a description: the only
    violations allowed are those two missing, and only when the draft has no abstract (a
    description may also come from other descriptions) or no title."""
    _, _, document = _imported(path)
    md = document["metadata"]
    found, text = _dcat_violations(document)
    allowed = set()
    if not md.get("abstracts"):
        allowed.add(("MinCountConstraintComponent", DCT + "description"))
    if not md.get("titles"):
        allowed.add(("MinCountConstraintComponent", DCT + "title"))
    assert found <= allowed, text


def test_dcat_ap_check_sees_a_missing_description() -> None:
    """The SHACL check above can fail: a draft without any description is reported."""
    from schemas.examples import minimal_example

    md = minimal_example()
    md.pop("abstracts", None)
    md.pop("descriptions", None)
    document = load_record_document(
        {"id": "r", "links": {"self_html": "https://a.example/r"}, "metadata": md}
    )
    found, _ = _dcat_violations(document)
    assert ("MinCountConstraintComponent", DCT + "description") in found


# --- ISO 19115-1 roles ----------------------------------------------------------------------


def test_iso_19115_1_contributor_role_keeps_the_party() -> None:
    """The fixture's other parties cover coAuthor, collaborator and funder; ``contributor`` is
    the fourth role the issue names."""
    data = (HERE / "data" / "foreign_parties_19139.xml").read_bytes()
    data = data.replace(b'codeListValue="fieldCrew"', b'codeListValue="contributor"')
    _, result = import_record(data)
    by_name = {c["name"]: c for c in result.metadata["contributors"]}
    assert by_name["Survey team"] == {
        "type": "Organizational",
        "name": "Survey team",
        "contributor_type": "Other",
    }
    assert any(
        line.endswith(
            "citedResponsibleParty[4]/gmd:CI_ResponsibleParty/gmd:role: "
            "ISO 19115-1 role contributor mapped to contributor type Other"
        )
        for line in result.unmapped
    ), result.unmapped


@pytest.mark.parametrize(
    ("role", "kept"),
    [
        ("coAuthor", ("creators", {"type": "Personal", "name": "Martin, Claire"})),
        ("collaborator", ("contributors", {"contributor_type": "ProjectMember"})),
        ("contributor", ("contributors", {"contributor_type": "Other"})),
        ("funder", ("funding", {"funder_name": "Martin, Claire"})),
    ],
)
def test_iso_19115_1_roles_in_19115_3_keep_the_party(role: str, kept: tuple[str, dict]) -> None:
    """19115-3 has these roles natively: the reader maps them as it does for 19139."""
    from exports import iso19115_3
    from schemas.examples import minimal_example

    document = load_record_document({"id": "r", "metadata": minimal_example()})
    assert [c["name"] for c in document["metadata"]["creators"]] == ["Martin, Claire"]
    xml = iso19115_3.write_iso19115_3(document)
    xml = xml.replace(b'codeListValue="author"', f'codeListValue="{role}"'.encode(), 1)
    _, result = import_record(xml)
    field, expected = kept
    entries = result.metadata.get(field, [])
    assert any(expected.items() <= entry.items() for entry in entries), result.metadata
    assert "creators" not in result.metadata or field == "creators"
    assert any(f"ISO 19115-1 role {role} mapped" in line for line in result.unmapped)


# --- an imported ISO DOI is kept and exported by every writer ---------------------------------


def test_imported_iso_doi_is_kept_in_the_draft_and_every_format_exports_it(factory) -> None:  # type: ignore[no-untyped-def]
    """Issue 10, "Existing identifiers": the Sextant-style record carries its DOI as an
    MD_Identifier holding https://doi.org/10.17882/12345. The draft keeps it (as its DOI, kept
    as is: another prefix) and every registered format's export of the draft carries it."""
    producer = factory.user("iso-doi@example.org")
    data = (HERE / "data" / "sextant_gml2006.xml").read_bytes()
    r = producer.post("/api/records/import", data=data, headers={"Content-Type": "application/xml"})
    assert r.status_code == 201, r.json
    assert r.json["import"]["format"] == "iso19139"
    assert r.json["pids"]["doi"]["identifier"] == "10.17882/12345"
    rid = r.json["id"]
    for fmt in registry.formats():
        exported = producer.get(f"/api/records/{rid}/export/{fmt.name}?draft=1")
        assert exported.status_code == 200, (fmt.name, exported.status_code)
        assert b"10.17882/12345" in exported.data, fmt.name


# --- writer versions follow writer output ---------------------------------------------------

GUARD = HERE / "data" / "writer_versions.json"


def _format_digest(fmt: registry.Format, documents: list[dict[str, Any]]) -> str:
    """One digest of what ``fmt`` writes for every frozen document, by the digest
    ``alluvium oai sync`` uses (``exports.registry.output_digest``: RDF compared as graphs)."""
    total = hashlib.sha256()
    for document in documents:
        total.update(registry.output_digest(fmt, document).encode())
    return total.hexdigest()


def test_a_writer_whose_output_changed_has_a_new_version() -> None:
    """Harvesters only receive a corrected export when the writer's ``Format.version`` changes
    (it is part of the OAI payload cache key and item state). tests/data/writer_versions.json
    holds 25 frozen record documents (rich, minimal, demo, edge cases, a service with online
    resources, RAiD and SWHID) and, per format, the version and the digest of its output for them.
    Same version, different digest: the writer changed without a version bump. After a bump,
    record the new digest in that file (the new version beside it)."""
    guard = json.loads(GUARD.read_text())
    documents = list(guard["documents"].values())
    stale = []
    for fmt in registry.formats():
        recorded = guard["formats"].get(fmt.name)
        assert recorded is not None, f"{fmt.name}: new format, record its version and digest in {GUARD.name}"
        digest = _format_digest(fmt, documents)
        if recorded["version"] == fmt.version:
            assert digest == recorded["digest"], (
                f"{fmt.name}: output changed but Format.version is still {fmt.version!r}: "
                "bump it so that `alluvium oai sync` re-renders the records (docs/operations.md)"
            )
        else:
            stale.append(f"{fmt.name} {recorded['version']} -> {fmt.version}")
    assert stale == [], f"record the new digests of {stale} in {GUARD.name}"


def test_the_guard_sees_a_changed_writer(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The guard can fail: a writer whose output changes for one document changes the digest."""
    guard = json.loads(GUARD.read_text())
    documents = list(guard["documents"].values())
    fmt = registry.get_format("oai_dc")
    original = _format_digest(fmt, documents)
    assert original == guard["formats"]["oai_dc"]["digest"]
    changed = documents[0]

    def upgraded(document: dict[str, Any]) -> bytes:
        body = fmt.writer(document)
        if document is not changed:
            return body
        return body.replace(b"</oai_dc:dc>", b"<dc:source>corrected</dc:source></oai_dc:dc>")

    import dataclasses

    assert _format_digest(dataclasses.replace(fmt, writer=upgraded), documents) != original


# --- every import answer names the source XPath of what was not kept ----------------------------

_STEP = re.compile(r"^(@?)(?:[\w.-]+:)?([\w.-]+)(\[\d+\])?$")


def _source_nodes(root: Any, path: str) -> list[Any]:
    """Nodes the reported path selects in the source, matching steps by local name (the answer
    uses the document's own prefixes; DataCite's default namespace has none)."""
    xpath = ""
    for step in path.strip("/").split("/"):
        match = _STEP.match(step)
        if match is None:
            return []
        at, name, position = match.groups()
        xpath += f"/@*[local-name()='{name}']" if at else f"/*[local-name()='{name}']{position or ''}"
    return root.getroottree().xpath(xpath)


@pytest.mark.parametrize(
    "path",
    INPUTS,
    ids=lambda p: "/".join(p.parts[-3:]),
)
def test_every_line_of_an_import_answer_names_an_existing_source_xpath(
    path: Path, shared_standards: Path
) -> None:
    """Issue 10: "Every import answer lists exactly what was not kept, by source XPath". Each
    line starts with an XPath that selects at least one node of the imported document."""
    from lxml import etree

    _, result, _ = _imported(path)
    root = etree.fromstring(path.read_bytes())
    unnamed = []
    for line in result.unmapped:
        match = re.match(r"^(/\S*?)(?=: | \(|:?$)", line)
        if match is None or not _source_nodes(root, match.group(1)):
            unnamed.append(line)
    assert unnamed == []


def test_a_byte_order_mark_does_not_hide_the_source_xpath(shared_standards: Path) -> None:
    """The upstream "complicated" kernel-4 example starts with a UTF-8 byte order mark; its
    ISNI with a wrong check digit was named only by the canonical pointer."""
    path = XSD / "schema.datacite.org/meta/kernel-4/example/datacite-example-complicated-v4.xml"
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    _, result = import_record(data)
    assert [u for u in result.unmapped if "ISNI" in u] == [
        "/resource/creators/creator[2]/nameIdentifier (/creators/1/identifiers/0): ISNI 0000000134596520 "
        "has a wrong check digit (dropped {'identifier': '0000000134596520', 'scheme': 'ISNI'})"
    ]


# --- a foreign ISO 19115-3 service record ------------------------------------------------------------

FOREIGN_SERVICE_3 = HERE / "data" / "foreign_service_19115_3.xml"


def test_foreign_19115_3_service_record_is_schema_valid(shared_standards: Path) -> None:
    from exports import iso19115_3
    from exports.xmlutil import validate_xml

    assert validate_xml(FOREIGN_SERVICE_3.read_bytes(), iso19115_3.SCHEMAS) == []


def test_foreign_19115_3_service_record_imports_title_abstract_keywords_extent_operations() -> None:
    """Issue 10, "Service records import empty", for ISO 19115-3 (the 19139 case is in
    tests/test_import_fidelity.py): title, abstract, keywords, extent, service type and
    version, and the operations' connect points as online resources."""
    name, result = import_record(FOREIGN_SERVICE_3.read_bytes())
    md = result.metadata
    assert name == "iso19115-3"
    assert md["resource_type"] == {
        "general": "Service",
        "hierarchy_level": "service",
        "service_type": "download",
        "service_versions": ["2.0.0"],
    }
    assert md["titles"] == [{"text": "Monitoring stations download service", "lang": "en"}]
    assert md["abstracts"] == [
        {"text": "WFS download service of the river monitoring stations.", "lang": "en"}
    ]
    assert md["keywords"] == [
        {
            "scheme_name": "ISO 19119 service taxonomy",
            "terms": [{"term": "infoFeatureAccessService", "lang": "en"}],
        }
    ]
    assert md["free_keywords"] == [{"term": "hydrometry", "lang": "en"}, {"term": "rivers", "lang": "en"}]
    assert md["spatial_extents"] == [{"bbox": {"west": -5.25, "east": 8.5, "south": 42.3, "north": 51.1}}]
    assert md["creators"] == [
        {"type": "Personal", "name": "Leroy, Anne", "given_name": "Anne", "family_name": "Leroy"}
    ]
    assert md["contacts"] == [
        {
            "type": "Organizational",
            "name": "Geodata desk",
            "email": "geodata@example.org",
            "role": "pointOfContact",
        }
    ]
    assert [(o["url"], o["protocol"]) for o in md["online_resources"]] == [
        ("https://geo.example.org/wfs?SERVICE=WFS&REQUEST=GetCapabilities", "OGC:WFS"),
        ("https://geo.example.org/wfs", "OGC:WFS"),
    ]
    assert md["online_resources"][1]["layer_name"] == "stations"
    reported = "\n".join(result.unmapped)
    assert "srv:couplingType: coupling type is not kept (written back as loose) (tight)" in reported
    assert "ISO 19115-1 role coAuthor mapped to a creator" in reported


def test_every_operation_name_is_kept_or_reported() -> None:
    _, result = import_record(FOREIGN_SERVICE_3.read_bytes())
    kept = str(result.metadata.get("online_resources"))
    for operation in ("GetCapabilities", "GetFeature"):
        assert operation in kept or any(operation in line for line in result.unmapped), operation


FOREIGN_SERVICE_2 = HERE / "data" / "foreign_service_19139.xml"


@pytest.mark.parametrize(
    ("path", "operation", "layer"),
    [(FOREIGN_SERVICE_3, "GetFeature", "stations"), (FOREIGN_SERVICE_2, "GetMap", "sst_daily")],
    ids=["19115-3", "19139"],
)
def test_operation_name_of_a_layer_connect_point_is_its_description(
    path: Path, operation: str, layer: str
) -> None:
    """The connect point names the layer, so the operation name goes to the description (the
    resource has none); the GetCapabilities connect point has no name: the operation is its name."""
    _, result = import_record(path.read_bytes())
    resources = result.metadata["online_resources"]
    assert resources[0]["names"] == [{"text": "GetCapabilities"}]
    assert resources[1]["layer_name"] == layer
    assert resources[1]["descriptions"] == [{"text": operation}]
    assert not [line for line in result.unmapped if "operationName" in line]
    load_record_document({"id": "imp-0001", "metadata": result.metadata})  # raises if the schema refuses


def _with_operations(path: Path, layer: str, extra: str) -> bytes:
    """The fixture with a description after the layer name of its connect point, and ``extra``
    operations at the end of the service identification."""
    data = path.read_bytes().decode()
    ns = "gmd" if "gmd:CI_OnlineResource" in data else "cit"
    name = f"<{ns}:name><gco:CharacterString>{layer}</gco:CharacterString></{ns}:name>"
    assert data.count(name) == 1
    description = f"<{ns}:description><gco:CharacterString>Layer</gco:CharacterString></{ns}:description>"
    data = data.replace(name, name + description)
    closing = "</srv:SV_ServiceIdentification>"
    return data.replace(closing, extra + closing).encode()


@pytest.mark.parametrize(
    ("path", "operation", "layer"),
    [(FOREIGN_SERVICE_3, "GetFeature", "stations"), (FOREIGN_SERVICE_2, "GetMap", "sst_daily")],
    ids=["19115-3", "19139"],
)
def test_operation_name_with_no_place_left_is_reported_by_source_xpath(
    path: Path, operation: str, layer: str
) -> None:
    """When the connect point has a layer and a description, or there is no connect point, the
    operation name is reported by the XPath of its srv:operationName."""
    from lxml import etree

    extra = (
        "<srv:containsOperations><srv:SV_OperationMetadata><srv:operationName>"
        "<gco:CharacterString>DescribeFeatureType</gco:CharacterString></srv:operationName>"
        "</srv:SV_OperationMetadata></srv:containsOperations>"
    )
    data = _with_operations(path, layer, extra)
    _, result = import_record(data)
    lines = [line for line in result.unmapped if "operationName" in line]
    assert len(lines) == 2, result.unmapped
    assert lines[0].endswith(
        f"operation name not kept, the online resource has a name and a description ({operation})"
    )
    assert lines[1].endswith("operation without a connect point not kept (DescribeFeatureType)")
    root = etree.fromstring(data)
    for line, name in zip(lines, (operation, "DescribeFeatureType"), strict=True):
        nodes = _source_nodes(root, re.match(r"^(/\S*?): ", line).group(1))
        assert [n.findtext("*") for n in nodes] == [name]
    resources = result.metadata["online_resources"]
    assert [d["text"] for d in resources[1]["descriptions"]] == ["Layer"]


def test_polygon_with_a_short_exterior_ring_is_dropped_and_reported(shared_standards: Path) -> None:
    """AppendixD.2: a gml:Polygon whose exterior ring holds one number. The polygon is not kept
    (an empty polygon is refused by the schema) and the answer names the gml:Polygon."""
    from lxml import etree

    path = XSD / "schemas.isotc211.org/19115/-3/mds/1.0/AppendixD.2VectorSmartMapExample.xml"
    _, result = import_record(path.read_bytes())
    assert not any("polygon" in e for e in result.metadata.get("spatial_extents", []))
    lines = [line for line in result.unmapped if "gml:Polygon" in line]
    assert len(lines) == 1, result.unmapped
    assert "polygon not kept: its exterior ring has 0 positions, fewer than 4" in lines[0]
    nodes = _source_nodes(etree.fromstring(path.read_bytes()), lines[0].split(": ")[0])
    assert [etree.QName(n).localname for n in nodes] == ["Polygon"]
    assert not any(line.startswith("/spatial_extents") for line in result.unmapped)


_RING = "<gml:LinearRing><gml:posList>{}</gml:posList></gml:LinearRing>"


def test_short_interior_ring_is_dropped_and_the_polygon_kept() -> None:
    """A polygon with a good exterior ring and a 2-position hole: the hole is dropped and said."""
    from exports import iso19139

    data = FOREIGN_SERVICE_2.read_bytes().decode()
    polygon = (
        '<gmd:geographicElement><gmd:EX_BoundingPolygon><gmd:polygon><gml:Polygon gml:id="p1" '
        'xmlns:gml="http://www.opengis.net/gml/3.2"><gml:exterior>'
        + _RING.format("0 0 10 0 10 10 0 0")
        + "</gml:exterior><gml:interior>"
        + _RING.format("1 1 2 2")
        + "</gml:interior></gml:Polygon></gmd:polygon></gmd:EX_BoundingPolygon></gmd:geographicElement>"
    )
    data = data.replace("</gmd:EX_Extent>", polygon + "</gmd:EX_Extent>", 1)
    result = iso19139.read_iso19139(data.encode())
    polygons = [e["polygon"] for e in result.metadata["spatial_extents"] if "polygon" in e]
    assert polygons == [
        {"type": "Polygon", "coordinates": [[[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 0.0]]]}
    ]
    lines = [line for line in result.unmapped if "gml:Polygon" in line]
    assert len(lines) == 1 and ": 1 interior ring(s) of fewer than 4 positions not kept" in lines[0], lines


def test_imported_iso_doi_is_kept_through_the_deposit_page(factory, client) -> None:  # type: ignore[no-untyped-def]
    """The deposit page and ``alluvium import`` go through app.services.deposit.import_draft
    (another path than the API): the ISO record's DOI is kept there too."""
    import io

    from test_web_deposit import sign_in

    producer = factory.user("iso-doi-web@example.org")
    token = sign_in(client, "iso-doi-web@example.org")
    data = (HERE / "data" / "sextant_gml2006.xml").read_bytes()
    r = client.post(
        "/deposit",
        data={"how": "import", "_csrf": token, "file": (io.BytesIO(data), "sextant.xml")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    rid = re.search(r'href="/records/([^"/]+)/edit"', r.get_data(as_text=True)).group(1)
    draft = producer.get(f"/api/records/{rid}/draft")
    assert draft.status_code == 200, draft.json
    assert draft.json["pids"]["doi"]["identifier"] == "10.17882/12345"


def test_output_digest_works_for_every_format_and_sees_a_change() -> None:
    """``output_digest`` decides whether an upgrade moves a record's datestamp; it must work for
    every registered format (schema.org's JSON-LD names a remote context, which the RDF parser
    refuses offline: it raised ValueError) and differ when the content differs."""
    from schemas.examples import minimal_example

    one = load_record_document({"id": "r", "metadata": minimal_example()})
    changed = minimal_example()
    changed["titles"][0]["text"] += " (corrected)"
    two = load_record_document({"id": "r", "metadata": changed})
    for fmt in registry.formats():
        assert registry.output_digest(fmt, one) == registry.output_digest(fmt, one), fmt.name
        assert registry.output_digest(fmt, one) != registry.output_digest(fmt, two), fmt.name
