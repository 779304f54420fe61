"""Which OAI-PMH sets a record belongs to. Plain functions of the canonical record document.

Sets are flat (no ``:`` hierarchy), so a harvester never has to reason about parent sets:

- ``community-<slug>``: one per community;
- ``type-<resourcetypegeneral>``: one per DataCite ``resourceTypeGeneral`` (lower case);
- ``openaire_data``: records OpenAIRE should take in (funding, or a link to a publication);
- admin-defined sets (``oai_sets`` table), e.g. the one Recherche Data Gouv harvests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vocabularies import controlled

OPENAIRE_SET = "openaire_data"
COMMUNITY_PREFIX = "community-"
TYPE_PREFIX = "type-"
#: setSpec syntax (OAI-PMH 2.0 §2.7.1 with no hierarchy): unreserved URI characters.
SPEC_PATTERN = re.compile(r"^[A-Za-z0-9\-_.!~*'()]{1,64}$")

#: DataCite resource types that are publications: a dataset related to one of them is in
#: ``openaire_data`` (OpenAIRE links research data to the literature that uses it).
PUBLICATION_TYPES = frozenset(
    {
        "Book",
        "BookChapter",
        "ConferencePaper",
        "ConferenceProceeding",
        "DataPaper",
        "Dissertation",
        "Journal",
        "JournalArticle",
        "PeerReview",
        "Preprint",
        "Report",
        "Text",
    }
)
#: Relations that, without a resource type, still point at the literature about the data.
PUBLICATION_RELATIONS = frozenset({"IsSupplementTo", "IsCitedBy", "IsReferencedBy", "IsDescribedBy"})

CRITERIA_KEYS = ("communities", "resource_types", "access_levels", "require_doi")


@dataclass(frozen=True)
class AdminSet:
    """An administrator's set: every given criterion must hold (an empty criteria selects all)."""

    spec: str
    name: str
    description: str = ""
    criteria: dict[str, Any] = field(default_factory=dict)

    def matches(self, document: dict[str, Any]) -> bool:
        md = document.get("metadata") or {}
        crit = self.criteria
        if crit.get("communities") and document.get("community") not in crit["communities"]:
            return False
        if crit.get("resource_types") and resource_type(md) not in crit["resource_types"]:
            return False
        level = (md.get("rights") or {}).get("access_level") or "open"
        if crit.get("access_levels") and level not in crit["access_levels"]:
            return False
        if crit.get("require_doi") and "doi" not in (document.get("pids") or {}):
            return False
        return True


def resource_type(md: dict[str, Any]) -> str | None:
    return (md.get("resource_type") or {}).get("general")


def type_spec(general: str) -> str:
    return TYPE_PREFIX + general.lower()


def community_spec(slug: str) -> str:
    return COMMUNITY_PREFIX + slug


def is_openaire(md: dict[str, Any]) -> bool:
    if md.get("funding"):
        return True
    for rel in md.get("related_identifiers") or []:
        kind = rel.get("resource_type")
        if kind in PUBLICATION_TYPES or (kind is None and rel.get("relation_type") in PUBLICATION_RELATIONS):
            return True
    return False


def record_sets(document: dict[str, Any], admin_sets: list[AdminSet]) -> list[str]:
    """Every set the record version is in, sorted. A withdrawn record keeps its sets so that a
    selective harvest sees its deletion."""
    md = document.get("metadata") or {}
    specs: set[str] = set()
    if document.get("community"):
        specs.add(community_spec(document["community"]))
    general = resource_type(md)
    if general:
        specs.add(type_spec(general))
    if is_openaire(md):
        specs.add(OPENAIRE_SET)
    specs.update(s.spec for s in admin_sets if s.matches(document))
    return sorted(specs)


def resource_type_sets() -> list[tuple[str, str]]:
    """(setSpec, setName) for every DataCite resourceTypeGeneral."""
    return [(type_spec(t), f"Resource type: {t}") for t in controlled.datacite_list("resourceTypeGeneral")]


def is_reserved(spec: str) -> bool:
    return spec == OPENAIRE_SET or spec.startswith((COMMUNITY_PREFIX, TYPE_PREFIX))


def check_admin_set(spec: str, name: str, criteria: Any) -> list[tuple[str, str]]:
    """(field, message) for each problem of an admin set definition; [] when valid."""
    problems: list[tuple[str, str]] = []
    if not isinstance(spec, str) or not SPEC_PATTERN.match(spec):
        problems.append(("/spec", "1 to 64 characters among letters, digits and -_.!~*'()"))
    elif is_reserved(spec):
        problems.append(("/spec", f"{spec!r} is reserved (community-*, type-*, {OPENAIRE_SET})"))
    if not isinstance(name, str) or not name.strip():
        problems.append(("/name", "give the set a name"))
    if not isinstance(criteria, dict):
        problems.append(("/criteria", "must be an object"))
        return problems
    for key, value in criteria.items():
        if key not in CRITERIA_KEYS:
            problems.append((f"/criteria/{key}", f"unknown criterion; known: {', '.join(CRITERIA_KEYS)}"))
        elif key == "require_doi":
            if not isinstance(value, bool):
                problems.append((f"/criteria/{key}", "must be true or false"))
        elif not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            problems.append((f"/criteria/{key}", "must be a list of strings"))
        elif key == "resource_types":
            known = set(controlled.datacite_list("resourceTypeGeneral"))
            for v in value:
                if v not in known:
                    problems.append((f"/criteria/{key}", f"{v!r} is not a DataCite resourceTypeGeneral"))
        elif key == "access_levels":
            for v in value:
                if v not in {"open", "embargoed", "restricted", "metadata_only"}:
                    problems.append((f"/criteria/{key}", f"unknown access level {v!r}"))
    return problems
