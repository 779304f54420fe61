"""maDMP crosswalks (exports/madmp.py) and the plan model (schemas/dmp.py), without a database.

The ten examples are the RDA DMP Common Standard's own (tests/data/madmp/ex*.json, public
domain). The ``tool-*`` files are written after what DMP OPIDoR, DMPTool, DAMAP and Argos
export (their version hints, extensions and loose values); they are our fixtures, not theirs.
Exports are checked with jsonschema against the official schemas bundled in schemas/data/madmp,
whose content is compared with the standard's files when the shared copy is present.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import schemas
from exports import madmp
from schemas import dmp as dmp_schema

DATA = Path(__file__).parent / "data" / "madmp"
EXAMPLES = sorted(DATA.glob("ex*.json"))
TOOLS = sorted(DATA.glob("tool-*.json"))
OFFICIAL = Path("/work/shared/standards/json/rda-dmp-common-standard/JSON-schema")


def official_errors(document: dict, version: str) -> list[str]:
    """Errors from jsonschema itself (its own format checker), independent of schemas.dmp."""
    schema = json.loads(
        (Path(schemas.__file__).parent / "data" / "madmp" / f"maDMP-schema-{version}.json").read_text()
    )
    cls = jsonschema.validators.validator_for(schema)
    return [
        f"{list(e.absolute_path)}: {e.message}"
        for e in cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(document)
    ]


#: What the official examples hold outside the standard (read by hand from the files).
EXAMPLE_REPORTS = {
    "ex10-fairsharing": ([], ["/dmp/dataset/0/distribution/0/metadata"]),
    "ex5-dataset-planned-host": ([], ["/dmp/dataset/0/distribution/0/host/supports_versioning"]),
    "ex9-dmp-long": (
        [
            "/dmp/dataset/0/distribution/0/license/0/license_name",
            "/dmp/dataset/0/distribution/0/host/host_id_type",
            "/dmp/dataset/2/distribution/0/license/0/license_name",
            "/dmp/dataset/2/distribution/0/host/host_id_type",
        ],
        [
            "/dmp/dataset/0/distribution/0/host/supports_versioning",
            "/dmp/dataset/2/distribution/0/host/supports_versioning",
        ],
    ),
}


def test_official_example_oddities_are_mapped():
    ex10 = madmp.import_madmp((DATA / "ex10-fairsharing.json").read_bytes()).plan
    assert ex10["dataset"][0]["metadata"][0]["metadata_standard_id"] == {
        "identifier": "https://doi.org/10.25504/FAIRsharing.r3vtvx",
        "type": "url",
    }
    assert "metadata" not in ex10["dataset"][0]["distribution"][0]
    ex9 = madmp.import_madmp((DATA / "ex9-dmp-long.json").read_bytes()).plan
    assert ex9["project"][0]["funding"][0]["funder_name"] == "European Commission - Framework Programme"
    assert ex9["dataset"][2]["distribution"][0]["host"]["support_versioning"] == "unknown"


def test_ten_official_examples():
    assert len(EXAMPLES) == 10


@pytest.mark.skipif(not OFFICIAL.exists(), reason="shared standards folder not present")
@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_bundled_schemas_are_the_official_ones(version):
    ours = Path(schemas.__file__).parent / "data" / "madmp" / f"maDMP-schema-{version}.json"
    assert ours.read_bytes() == (OFFICIAL / version / f"maDMP-schema-{version}.json").read_bytes()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_official_example_imports_exports_validates_and_round_trips(path):
    source = json.loads(path.read_text())
    result = madmp.import_madmp(path.read_bytes())
    assert result.version == "1.2"
    assert result.plan["title"] == source["dmp"]["title"]
    assert len(result.plan["dataset"]) == len(source["dmp"]["dataset"])
    exported, dropped = madmp.export_madmp(result.plan, "1.2")
    assert dropped == []
    assert official_errors(exported, "1.2") == []
    unmapped, adjusted = EXAMPLE_REPORTS.get(path.stem, ([], []))
    assert [u.split(":")[0] for u in result.unmapped] == unmapped
    assert [a.split(":")[0] for a in result.adjusted] == adjusted
    if not unmapped and not adjusted:
        assert exported["dmp"] == source["dmp"]
    again = madmp.import_madmp(json.dumps(exported))
    assert again.plan == result.plan
    assert again.adjusted == [] and again.unmapped == []
    v11, _ = madmp.export_madmp(result.plan, "1.1")
    assert official_errors(v11, "1.1") == []


@pytest.mark.parametrize("path", TOOLS, ids=lambda p: p.stem)
def test_tool_variants_import(path):
    result = madmp.import_madmp(path.read_bytes())
    assert official_errors({"dmp": result.plan}, "1.2") == []
    exported, _ = madmp.export_madmp(result.plan, "1.2")
    assert madmp.import_madmp(json.dumps(exported)).plan == result.plan
    v11, _ = madmp.export_madmp(result.plan, "1.1")
    assert official_errors(v11, "1.1") == []


def test_dmp_opidor_variant_reports_extension_and_keeps_everything_else():
    result = madmp.import_madmp((DATA / "tool-dmpopidor-1.1.json").read_bytes())
    assert result.version == "1.2"  # undeclared: the first schema it passes
    assert [u.split(":")[0] for u in result.unmapped] == ["/dmp/extension"]
    assert "/dmp/dataset/0/distribution/0/byte_size" in result.adjusted[0]
    assert result.plan["dataset"][0]["distribution"][0]["byte_size"] == 2_000_000_000
    assert result.plan["project"][0]["funding"][0]["grant_id"]["identifier"] == "ANR-23-CE01-0001"
    assert result.plan["contributor"][1]["role"] == ["Responsable des données"]


def test_dmptool_variant():
    result = madmp.import_madmp((DATA / "tool-dmptool-1.1.json").read_bytes())
    assert result.version == "1.1"
    pointers = sorted(u.split(":")[0] for u in result.unmapped)
    assert pointers == [
        "/dmp/contact/dmproadmap_affiliation",
        "/dmp/dataset/0/distribution/0/host/dmproadmap_host_id",
        "/dmp/dmproadmap_privacy",
        "/dmp/dmproadmap_template",
        "/dmp/project/0/funding/0/dmproadmap_funding_opportunity_id",
        "/dmp/schema",
    ]
    assert result.plan["project"][0]["start"] == "2023-07-01"
    assert result.plan["project"][0]["funding"][0]["funder_name"] == "National Science Foundation"


def test_damap_variant_loose_values_are_read_and_reported():
    result = madmp.import_madmp((DATA / "tool-damap-1.1.json").read_bytes())
    plan = result.plan
    assert result.version == "1.1"
    assert plan["language"] == "eng"
    assert plan["created"] == "2023-03-01T10:12:00Z"
    assert plan["ethical_issues_exist"] == "no"
    assert plan["contributor"][0]["role"] == ["Data Manager"]
    assert plan["cost"][0]["value"] == 1200.5
    dataset = plan["dataset"][0]
    assert (dataset["personal_data"], dataset["sensitive_data"]) == ("no", "no")
    assert dataset["keyword"] == ["soil moisture"]
    dist = dataset["distribution"][0]
    assert dist["format"] == ["text/csv"] and dist["byte_size"] == 15_000_000
    assert dist["license"][0]["start_date"] == "2025-12-31"
    assert any(a.startswith('/dmp/language: "en" read as "eng"') for a in result.adjusted)


def test_argos_variant_reports_nested_extensions():
    result = madmp.import_madmp((DATA / "tool-argos-1.0.json").read_bytes())
    assert result.version == "1.2"
    assert sorted(u.split(":")[0] for u in result.unmapped) == ["/dmp/dataset/0/extension", "/dmp/extension"]


def test_1_0_declared_document_is_checked_against_1_0():
    doc = json.loads((DATA / "tool-argos-1.0.json").read_text())
    doc["$schema"] = (
        "https://github.com/RDA-DMP-Common/RDA-DMP-Common-Standard/tree/master/examples/JSON/JSON-schema/1.0"
    )
    del doc["dmp"]["project"][0]["end"]  # required in 1.0 only
    with pytest.raises(madmp.MadmpImportError) as caught:
        madmp.import_madmp(json.dumps(doc))
    assert [e.field for e in caught.value.errors] == ["/dmp/project/0/end"]
    assert "maDMP 1.0" in caught.value.errors[0].messages[0]


def test_schema_invalid_plan_is_refused_with_pointer_of_each_error():
    doc = json.loads((DATA / "ex9-dmp-long.json").read_text())
    del doc["dmp"]["contact"]["mbox"]
    doc["dmp"]["dataset"][0]["personal_data"] = "maybe"
    doc["dmp"]["dataset"][1]["distribution"][0]["data_access"] = "public"
    doc["dmp"]["created"] = "yesterday"
    with pytest.raises(madmp.MadmpImportError) as caught:
        madmp.import_madmp(json.dumps(doc))
    fields = [e.field for e in caught.value.errors]
    assert fields == [
        "/dmp/contact/mbox",
        "/dmp/created",
        "/dmp/dataset/0/personal_data",
        "/dmp/dataset/1/distribution/0/data_access",
    ]
    # jsonschema itself agrees each of these is an error.
    assert len(official_errors(doc, "1.2")) >= 3


@pytest.mark.parametrize(
    ("body", "pointer"),
    [(b"{not json", ""), (b"[1]", ""), (b'{"plan": {}}', "/dmp"), (b'{"dmp": []}', "/dmp")],
)
def test_not_madmp_is_refused(body, pointer):
    with pytest.raises(madmp.MadmpImportError) as caught:
        madmp.import_madmp(body)
    assert caught.value.errors[0].field == pointer


def test_export_1_1_shape_differences():
    plan = madmp.import_madmp((DATA / "ex9-dmp-long.json").read_bytes()).plan
    plan["contact"]["affiliation"] = [
        {"name": "CNRS", "affiliation_id": {"identifier": "https://ror.org/02feahw73", "type": "ror"}}
    ]
    plan["contact"]["contact_id"] = [
        {"identifier": "0000-0002-1825-0097", "type": "orcid"},
        {"identifier": "0000000121032683", "type": "isni"},
    ]
    plan["dataset"][0]["is_reused"] = False
    plan["project"][0]["funding"][0]["funder_id"] = {"identifier": "https://ror.org/00rbzpz17", "type": "ror"}
    assert dmp_schema.validate_plan(plan) == []
    v11, dropped = madmp.export_madmp(plan, "1.1")
    assert official_errors(v11, "1.1") == []
    assert official_errors({"dmp": plan}, "1.1") != []  # the 1.2 plan itself is not 1.1
    assert v11["dmp"]["contact"]["contact_id"] == {"identifier": "0000-0002-1825-0097", "type": "orcid"}
    assert "affiliation" not in v11["dmp"]["contact"]
    assert v11["dmp"]["project"][0]["funding"][0]["funder_id"]["type"] == "other"
    assert "/dmp/contact/affiliation: not in maDMP 1.1" in dropped
    assert "/dmp/dataset/0/is_reused: not in maDMP 1.1" in dropped


def test_complete_plan_fills_what_people_do_not_type():
    from datetime import UTC, datetime

    plan = dmp_schema.complete_plan(
        {
            "title": "T",
            "contact": {
                "name": "A",
                "mbox": "a@example.org",
                "contact_id": {"identifier": "a", "type": "other"},
            },
            "dataset": [{"title": "D"}],
        },
        plan_url="https://repo.example.org/dmps/abc",
        now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert dmp_schema.validate_plan(plan) == []
    assert plan["created"] == "2026-01-02T03:04:05Z"
    assert plan["dataset"][0]["dataset_id"] == {
        "identifier": "https://repo.example.org/dmps/abc#dataset-1",
        "type": "other",
    }


def test_draft_from_dataset_is_a_valid_draft():
    plan = madmp.import_madmp((DATA / "tool-dmpopidor-1.1.json").read_bytes()).plan
    metadata, notes = madmp.draft_from_dataset(plan, 0)
    loaded = schemas.load_metadata(metadata)
    assert loaded["titles"][0] == {"text": "Profils CTD des campagnes SWOT-Côtier", "lang": "fr"}
    assert loaded["abstracts"][0]["text"].startswith("Profils de température")
    assert [k["term"] for k in loaded["free_keywords"]] == ["CTD", "salinité", "Iroise"]
    assert [c["name"] for c in loaded["creators"]] == ["Marie Dupont", "Josiah Carberry"]
    assert loaded["creators"][1]["identifiers"][0]["identifier"] == "0000-0002-1825-0097"
    assert loaded["rights"]["license"]["id"] == "CC-BY-4.0"
    assert loaded["rights"]["access_level"] == "open"
    assert loaded["funding"][0]["funder_identifier"] == "https://doi.org/10.13039/501100001665"
    assert loaded["funding"][0]["award_number"] == "ANR-23-CE01-0001"
    assert any("Jeu de données" in n for n in notes)


def test_write_back_records_what_the_deposit_became():
    plan = madmp.import_madmp((DATA / "tool-dmpopidor-1.1.json").read_bytes()).plan
    document = {
        "id": "abc12",
        "pids": {"doi": {"identifier": "10.80000/abc12", "provider": "datacite", "url": None}},
        "publication_date": "2026-03-04",
        "files": [
            {"key": "a.nc", "size": 1000, "mimetype": "application/x-netcdf"},
            {"key": "b.csv", "size": 24, "mimetype": "text/csv"},
        ],
        "links": {"self_html": "https://repo.example.org/records/abc12"},
        "metadata": {
            "titles": [{"text": "Profils CTD"}],
            "rights": {
                "access_level": "open",
                "license": {
                    "id": "CC-BY-4.0",
                    "uri": "https://creativecommons.org/licenses/by/4.0/legalcode",
                },
            },
        },
    }
    host = madmp.Host(title="Alluvium", url="https://repo.example.org", certified_with="coretrustseal")
    new, changes = madmp.write_back(plan, 0, document, host, now="2026-03-04T10:00:00Z")
    assert dmp_schema.validate_plan(new) == []
    dataset = new["dataset"][0]
    assert dataset["dataset_id"] == {"identifier": "https://doi.org/10.80000/abc12", "type": "doi"}
    assert dataset["issued"] == "2026-03-04"
    dist = dataset["distribution"]
    assert len(dist) == 2  # the planned SEANOE distribution stays; ours is added
    ours = dist[1]
    assert ours["byte_size"] == 1024
    assert ours["format"] == ["application/x-netcdf", "text/csv"]
    assert ours["license"] == [
        {"license_ref": "https://creativecommons.org/licenses/by/4.0/legalcode", "start_date": "2026-03-04"}
    ]
    assert ours["host"]["certified_with"] == "coretrustseal" and ours["host"]["pid_system"] == ["doi"]
    assert new["modified"] == "2026-03-04T10:00:00Z"
    fields = {c["field"] for c in changes}
    assert {"/dataset/0/dataset_id/identifier", "/dataset/0/issued", "/modified"} <= fields
    # A second publication (new version) replaces our distribution instead of adding one.
    document["pids"]["doi"]["identifier"] = "10.80000/abc13"
    document["files"][0]["size"] = 2000
    newer, changes2 = madmp.write_back(new, 0, document, host, now="2026-05-01T00:00:00Z")
    assert len(newer["dataset"][0]["distribution"]) == 2
    assert newer["dataset"][0]["distribution"][1]["byte_size"] == 2024
    assert {c["field"] for c in changes2} >= {"/dataset/0/distribution/1/byte_size", "/modified"}
    # Nothing new: nothing changes, not even modified.
    same, none = madmp.write_back(newer, 0, document, host, now="2026-06-01T00:00:00Z")
    assert none == [] and same == newer


def test_generated_dataset_ids_stay_unique_after_a_removal():
    from datetime import UTC, datetime

    url = "https://repo.example.org/dmps/abc"
    now = datetime(2026, 1, 1, tzinfo=UTC)
    contact = {"name": "A", "mbox": "a@example.org", "contact_id": {"identifier": "a", "type": "other"}}
    plan = dmp_schema.complete_plan(
        {"title": "T", "contact": contact, "dataset": [{"title": "1"}, {"title": "2"}]}, plan_url=url, now=now
    )
    del plan["dataset"][0]
    plan["dataset"].append({"title": "3"})
    again = dmp_schema.complete_plan(plan, plan_url=url, now=now)
    ids = [d["dataset_id"]["identifier"] for d in again["dataset"]]
    assert ids == [f"{url}#dataset-2", f"{url}#dataset-3"]
