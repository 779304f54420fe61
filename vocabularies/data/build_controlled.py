"""Regenerate the controlled-list JSON files in this folder from the official standards bundle.

Usage::

    python3 vocabularies/data/build_controlled.py [--standards /work/shared/standards] [--check]

The JSON files are committed so that a fresh install validates metadata without the bundle;
this script is how they were made, and ``tests/test_controlled.py`` calls :func:`build_all`
to check that the committed files still equal what the official files give.

Sources (all inside the bundle, see its README.md):

* DataCite Metadata Schema kernel-4 (= 4.7) ``include/datacite-*-v4.xsd``: the ``xs:enumeration``
  values of each simple type, in schema order.
* SPDX License List ``vocabularies/spdx/licenses.json`` (CC0-1.0).
* ISO 639-2 LoC list ``vocabularies/iso639/ISO-639-2_utf-8.txt``
  (``alpha3-b|alpha3-t|alpha2|English name|French name``).
* ISO 19115-3 ``vocabularies/iso19115-3/MD_TopicCategoryCode.xml`` (GML dictionary).
* ISO 19139 ``vocabularies/iso19139/gmxCodelists.xml``: CI_RoleCode, MD_ScopeCode,
  MD_KeywordTypeCode.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_STANDARDS = Path("/work/shared/standards")

XS = "{http://www.w3.org/2001/XMLSchema}"
GML = "{http://www.opengis.net/gml/3.2}"
GMX = "{http://www.isotc211.org/2005/gmx}"

DATACITE_VERSION = "4.7"
# list name in our JSON -> file in kernel-4/include/
DATACITE_FILES = {
    "resourceTypeGeneral": "datacite-resourceType-v4.xsd",
    "contributorType": "datacite-contributorType-v4.xsd",
    "relationType": "datacite-relationType-v4.xsd",
    "relatedIdentifierType": "datacite-relatedIdentifierType-v4.xsd",
    "dateType": "datacite-dateType-v4.xsd",
    "descriptionType": "datacite-descriptionType-v4.xsd",
    "titleType": "datacite-titleType-v4.xsd",
    "funderIdentifierType": "datacite-funderIdentifierType-v4.xsd",
    "nameType": "datacite-nameType-v4.xsd",
    "numberType": "datacite-numberType-v4.xsd",
}
ISO19139_LISTS = ("CI_RoleCode", "MD_ScopeCode", "MD_KeywordTypeCode", "CI_OnLineFunctionCode")
# ISO 19115-1:2014 added codes to lists of the 2003 edition; a 19139 codelist value is free text,
# so they are valid there too (CI_OnLineFunctionCode "browsing", "fileAccess").
ISO19115_1_ADDITIONS = {
    "CI_OnLineFunctionCode": [
        {"code": "browsing", "description": "online browsing (ISO 19115-1:2014)"},
        {"code": "fileAccess", "description": "online file access (ISO 19115-1:2014)"},
    ],
    "MD_KeywordTypeCode": [
        {"code": code, "description": f"keyword identifies a {text} (ISO 19115-1:2014)"}
        for code, text in (
            ("dataCentre", "repository or archive that manages and distributes data"),
            ("featureType", "resource containing or about a collection of feature instances"),
            ("instrument", "device used to measure or compare physical properties"),
            ("platform", "structure upon which an instrument is mounted"),
            ("process", "series of actions or operations"),
            ("product", "type of product"),
            ("project", "endeavour undertaken to create a product or service"),
            ("service", "capability which a provider entity makes available"),
            ("subTopicCategory", "refinement of a topic category"),
            ("taxon", "taxonomy of an organism"),
        )
    ],
}


def build_datacite(standards: Path) -> dict:
    """DataCite controlled lists: the enumeration values of each include/*.xsd simple type."""
    include = standards / "xsd/schema.datacite.org/meta/kernel-4/include"
    lists = {}
    for name, filename in DATACITE_FILES.items():
        tree = ET.parse(include / filename)
        lists[name] = [e.get("value") for e in tree.iter(f"{XS}enumeration")]
    return {
        "source": f"DataCite Metadata Schema {DATACITE_VERSION} (kernel-4/include)",
        "version": DATACITE_VERSION,
        "lists": lists,
    }


def build_spdx(standards: Path) -> dict:
    """SPDX licence ids with name, reference URL and OSI/deprecated flags."""
    raw = json.loads((standards / "vocabularies/spdx/licenses.json").read_text(encoding="utf-8"))
    licenses = {}
    for lic in sorted(raw["licenses"], key=lambda x: x["licenseId"].lower()):
        licenses[lic["licenseId"]] = {
            "name": lic["name"],
            "reference": lic["reference"],
            "see_also": lic.get("seeAlso", []),
            "osi_approved": bool(lic.get("isOsiApproved", False)),
            "deprecated": bool(lic.get("isDeprecatedLicenseId", False)),
        }
    return {
        "source": "SPDX License List (CC0-1.0)",
        "version": raw["licenseListVersion"],
        "licenses": licenses,
    }


def build_iso639(standards: Path) -> dict:
    """ISO 639-2 (B and T) with the matching ISO 639-1 code and English/French names.

    The ``qaa-qtz`` line is a range reserved for local use, not a language; it is left out.
    """
    text = (standards / "vocabularies/iso639/ISO-639-2_utf-8.txt").read_text(encoding="utf-8-sig")
    languages = []
    for line in text.splitlines():
        if not line.strip():
            continue
        b, t, two, en, fr = line.split("|")
        if "-" in b:  # qaa-qtz
            continue
        languages.append({"alpha3_b": b, "alpha3_t": t or b, "alpha2": two or None, "en": en, "fr": fr})
    return {"source": "ISO 639-2 code list, Library of Congress", "languages": languages}


def _gml32_codes(path: Path) -> list[dict]:
    root = ET.parse(path).getroot()
    out = []
    for definition in root.iter(f"{GML}Definition"):
        out.append(
            {
                "code": definition.findtext(f"{GML}identifier").strip(),
                "description": " ".join(definition.findtext(f"{GML}description", "").split()),
            }
        )
    return out


def _gmx_codes(path: Path, list_id: str) -> list[dict]:
    root = ET.parse(path).getroot()
    for dictionary in root.iter(f"{GMX}CodeListDictionary"):
        if dictionary.get(f"{GML}id") != list_id:
            continue
        return [
            {
                "code": d.findtext(f"{GML}identifier").strip(),
                "description": " ".join(d.findtext(f"{GML}description", "").split()),
            }
            for d in dictionary.iter(f"{GMX}CodeDefinition")
        ]
    raise LookupError(f"{list_id} not found in {path}")


def build_iso19115(standards: Path) -> dict:
    """ISO 19115 topic categories (19115-3 dictionary) and 19139 role/scope/keyword-type codes.

    The 19115-3 dictionary has 21 topic categories; ISO 19139 ``gmd:MD_TopicCategoryCode`` is an
    XSD enumeration of the original 19 (no ``extraTerrestrial``, ``disaster``). Each code carries
    ``in_19139`` so the schema can accept only codes every export can carry.
    """
    vocab = standards / "vocabularies"
    identification = standards / "xsd/schemas.opengis.net/iso/19139/20070417/gmd/identification.xsd"
    gmd_topics = {e.get("value") for e in ET.parse(identification).iter(f"{XS}enumeration")}
    topics = _gml32_codes(vocab / "iso19115-3/MD_TopicCategoryCode.xml")
    for topic in topics:
        topic["in_19139"] = topic["code"] in gmd_topics
    lists = {"MD_TopicCategoryCode": topics}
    for list_id in ISO19139_LISTS:
        lists[list_id] = _gmx_codes(vocab / "iso19139/gmxCodelists.xml", list_id)
        lists[list_id] += ISO19115_1_ADDITIONS.get(list_id, [])
    return {
        "source": "ISO 19115-3 MD_TopicCategoryCode.xml; ISO/TS 19139 gmxCodelists.xml and gmd XSD",
        "lists": lists,
    }


BUILDERS = {
    "datacite.json": build_datacite,
    "spdx_licenses.json": build_spdx,
    "iso639.json": build_iso639,
    "iso19115.json": build_iso19115,
}


def dumps(data: dict) -> str:
    """The exact text written to disk (stable, so the freshness test can compare text)."""
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def build_all(standards: Path = DEFAULT_STANDARDS) -> dict[str, str]:
    """Return ``{filename: json text}`` for every controlled-list file."""
    return {name: dumps(build(standards)) for name, build in BUILDERS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--standards", type=Path, default=DEFAULT_STANDARDS)
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for name, text in build_all(args.standards).items():
        target = HERE / name
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not args.check:
            target.write_text(text, encoding="utf-8")
    verb = "differ" if args.check else "written"
    print(f"{len(stale)} file(s) {verb}: {', '.join(stale) or '-'}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
