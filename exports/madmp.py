"""maDMP (RDA DMP Common Standard) crosswalks: import 1.0/1.1/1.2, export 1.2 and DMP OPIDoR's 1.1.

The canonical plan is the maDMP 1.2 ``dmp`` object (``schemas.dmp``). This module:

- :func:`import_madmp` reads a maDMP JSON document as DMP OPIDoR, DMPTool, DAMAP and Argos
  write it: known variants are normalised first (each reported in ``adjusted``), the result is
  validated against the official schema of its version (errors as JSON Pointers into the
  document sent, nothing returned on error), upgraded to 1.2, and every property the standard
  does not define (tool extensions) is reported in ``unmapped``.
- :func:`export_madmp` writes ``{"dmp": …}`` in 1.2 or in the 1.1 shape DMP OPIDoR serves and
  takes (docs/dmp.md lists the differences).
- :func:`write_back` records what a published deposit became in the plan's dataset entry.
- :func:`draft_from_dataset` pre-fills a record's metadata from a planned dataset.

No Flask, no database.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

from schemas import dmp as dmp_schema
from schemas.errors import FieldError, escape_token, to_pointer
from schemas.limits import parse_json
from vocabularies import controlled

_SCHEMA_HINT = re.compile(r"(?:JSON-schema/|schema[-_ ]?|/)(1\.[012])(?:/|\b)")


@dataclass
class MadmpImport:
    """The result of an import: the canonical plan (1.2 ``dmp`` object), the version read,
    what was adjusted to fit the standard, and what could not be mapped (tool extensions and
    properties the standard does not define), each as ``"<pointer>: <what>"``."""

    plan: dict[str, Any]
    version: str
    adjusted: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


class MadmpImportError(dmp_schema.PlanValidationError):
    """A document that is not maDMP or fails its schema; ``errors`` are JSON Pointers into the
    document as sent."""


# --- version detection ------------------------------------------------------------------------


def detect_version(document: dict[str, Any]) -> str | None:
    """The maDMP version a document declares (``$schema`` at the top or in ``dmp``, DMPTool's
    ``dmp.schema``), or None."""
    dmp = document.get("dmp") if isinstance(document.get("dmp"), dict) else {}
    for hint in (document.get("$schema"), dmp.get("$schema"), dmp.get("schema")):
        if isinstance(hint, str):
            found = _SCHEMA_HINT.search(hint)
            if found:
                return found.group(1)
    return None


# --- normalisation of tool variants -----------------------------------------------------------

_DATE_FIELDS = {"issued", "start", "end", "start_date", "available_until"}
_DATETIME_FIELDS = {"created", "modified"}
_YES_NO = {"ethical_issues_exist", "personal_data", "sensitive_data", "support_versioning"}


def _yes_no(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.strip().lower() in dmp_schema.YES_NO_UNKNOWN:
        return value.strip().lower()
    return value


def _language(value: Any) -> Any:
    if isinstance(value, str):
        entry = controlled.iso639(value.split("-")[0].split("_")[0]) if value.strip() else None
        if entry:
            return entry["alpha3_t"]
    return value


def _datetime(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text + "T00:00:00Z"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?", text):
        if text.count(":") == 1:
            text += ":00"
        return text.replace(" ", "T") + "Z"
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(\d{2})", text)
    if m:  # +0100 -> +01:00
        return f"{m.group(1).replace(' ', 'T')}{m.group(2)}:{m.group(3)}"
    return text


def _date(value: Any) -> Any:
    if isinstance(value, str):
        m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?", value.strip())
        if m:
            return m.group(1)
    return value


def _int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        return int(value)
    return value


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value.replace(",", ".")) if "." in value or "," in value else int(value)
        except ValueError:
            return value
    return value


def _normalise(node: Any, path: tuple, adjusted: list[str]) -> Any:
    """A copy of ``node`` with known tool variants read as the standard says; each change is
    noted in ``adjusted`` at the pointer of the value changed."""
    if isinstance(node, list):
        return [_normalise(item, (*path, i), adjusted) for i, item in enumerate(node)]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        renamed = _RENAMES.get((_kind(path), key))
        if renamed and renamed not in node:
            adjusted.append(f"{to_pointer((*path, key))}: read as {renamed}")
            key = renamed
        here = (*path, key)
        sub = _normalise(value, here, adjusted)
        new = _leaf(key, sub, path)
        if new != sub:
            adjusted.append(f"{to_pointer(here)}: {_short(sub)} read as {_short(new)}")
        out[key] = new
    if _kind(path) == "dataset":
        # Metadata standards given per distribution (official example ex10) belong to the dataset.
        for j, dist in enumerate(out.get("distribution") or []):
            if (
                isinstance(dist, dict)
                and isinstance(dist.get("metadata"), list)
                and isinstance(out.get("metadata", []), list)
            ):
                moved = [_metadata_standard(m) for m in dist.pop("metadata")]
                out["metadata"] = [*out.get("metadata", []), *moved]
                adjusted.append(
                    f"{to_pointer((*path, 'distribution', j, 'metadata'))}: moved to the dataset's metadata"
                )
    return out


def _leaf(key: str, value: Any, parent: tuple) -> Any:
    if key in _YES_NO:
        return _yes_no(value)
    if key == "language":
        return _language(value)
    if key in _DATETIME_FIELDS and len(parent) == 1:
        return _datetime(value)
    if key in _DATE_FIELDS:
        return _date(value)
    if key == "byte_size":
        return _int(value)
    if key == "value" and _kind(parent) == "cost":
        return _number(value)
    if key == "role" and isinstance(value, str):
        return [value]  # DAMAP and Argos write one role as a string
    if key in ("format", "keyword", "data_quality_assurance") and isinstance(value, str):
        return [value]
    if key == "funder_id" and isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _metadata_standard(entry: Any) -> Any:
    """A metadata standard whose identifier type 1.2 does not allow (``doi``) as a URL."""
    if not isinstance(entry, dict):
        return entry
    out = dict(entry)
    ident = out.get("metadata_standard_id")
    if isinstance(ident, dict) and ident.get("type") not in ("url", "other"):
        value = str(ident.get("identifier", ""))
        if str(ident.get("type")).lower() == "doi" and value.startswith("10."):
            out["metadata_standard_id"] = {"identifier": f"https://doi.org/{value}", "type": "url"}
        else:
            out["metadata_standard_id"] = {"identifier": value, "type": "other"}
    return out


#: Misspelt or tool-specific names read as the standard's (or our kept extension's) name.
_RENAMES = {
    ("host", "supports_versioning"): "support_versioning",  # official examples ex5, ex9
    ("funding", "name"): "funder_name",  # DMPTool
}
#: Properties outside the standard that are kept because other tools read them too (the 1.2
#: schema allows additional properties in these objects): the funder's name (official example
#: ex9, DMPTool, DMP OPIDoR), which a record's funding reference needs.
KEPT_EXTENSIONS = {("funding", "funder_name")}


def _kind(path: tuple) -> str | None:
    """The maDMP object kind at ``path`` (``dataset``, ``distribution``, ``host``, ``funding``…)."""
    names = [p for p in path if isinstance(p, str)]
    if not names:
        return None
    last = names[-1]
    if isinstance(path[-1], int) or last in ("host", "contact", "dmp"):
        return last
    return None


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


# --- pruning to what the standard defines -----------------------------------------------------


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["$defs"][name]
    return node


def _prune(value: Any, node: dict[str, Any], schema: dict[str, Any], path: tuple, unmapped: list[str]) -> Any:
    node = _resolve(schema, node)
    if "oneOf" in node:
        options = [_resolve(schema, o) for o in node["oneOf"]]
        target = next(
            (o for o in options if (o.get("type") == "array") == isinstance(value, list)), options[0]
        )
        return _prune(value, target, schema, path, unmapped)
    if isinstance(value, dict) and "properties" in node:
        out = {}
        for key, item in value.items():
            if key in node["properties"] or (_kind(path), key) in KEPT_EXTENSIONS:
                if key not in node["properties"]:
                    out[key] = item
                    continue
                out[key] = _prune(item, node["properties"][key], schema, (*path, key), unmapped)
            elif key != "$schema":
                unmapped.append(f"{to_pointer((*path, key))}: {_short(item)}")
        return out
    if isinstance(value, list) and "items" in node:
        return [_prune(item, node["items"], schema, (*path, i), unmapped) for i, item in enumerate(value)]
    return value


# --- import -----------------------------------------------------------------------------------


def _parse(data: bytes | str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(data, dict):
        document = copy.deepcopy(data)
    else:
        try:
            document = parse_json(data)
        except ValueError as exc:
            raise MadmpImportError([FieldError("", [f"is not valid JSON: {exc}"])]) from None
    if not isinstance(document, dict):
        raise MadmpImportError([FieldError("", ['must be a JSON object with a "dmp" object'])])
    if "dmp" not in document:
        raise MadmpImportError([FieldError("/dmp", ['is required: a maDMP document is {"dmp": {…}}'])])
    if not isinstance(document["dmp"], dict):
        raise MadmpImportError([FieldError("/dmp", ["must be an object"])])
    return document


def import_madmp(data: bytes | str | dict[str, Any]) -> MadmpImport:
    """Read a maDMP document (1.0, 1.1 or 1.2); returns the canonical plan and reports.

    The version is the declared one, else the first of 1.2, 1.1, 1.0 whose schema the
    (normalised) document passes. Raises :class:`MadmpImportError` with every schema error
    (JSON Pointers into the document as sent) when it passes none.
    """
    document = _parse(data)
    adjusted: list[str] = []
    normalised = {**document, "dmp": _normalise(document["dmp"], ("dmp",), adjusted)}
    # "$schema" is a JSON Schema keyword, not data; 1.1 forbids extra top-level properties.
    normalised.pop("$schema", None)
    declared = detect_version(document)
    candidates = [declared] if declared else ["1.2", "1.1", "1.0"]
    version, errors = None, None
    for candidate in candidates:
        found = dmp_schema.validate_madmp(normalised, candidate)
        if not found:
            version = candidate
            break
        errors = errors or found
    if version is None:
        if declared:
            errors = [FieldError(e.field, [f"{m} (maDMP {declared})" for m in e.messages]) for e in errors]
        raise MadmpImportError(errors)
    unmapped: list[str] = []
    schema12 = dmp_schema.madmp_schema("1.2")
    plan = _prune(normalised["dmp"], schema12["properties"]["dmp"], schema12, ("dmp",), unmapped)
    for key in document:
        if key not in ("dmp", "$schema"):
            unmapped.append(f"/{escape_token(key)}: {_short(document[key])}")
    # 1.0/1.1 documents are valid 1.2 once pruned (1.2 only relaxed and added); check anyway.
    errors = dmp_schema.validate_plan(plan)
    if errors:
        raise MadmpImportError([FieldError("/dmp" + e.field, e.messages) for e in errors])
    return MadmpImport(plan, version, adjusted, unmapped)


# --- export -----------------------------------------------------------------------------------

#: maDMP 1.2 properties that 1.1 does not have, by object (dropped from the 1.1 shape).
ONLY_12 = {
    "dmp": ("alternate_identifier", "related_identifier"),
    "contact": ("affiliation",),
    "contributor": ("affiliation",),
    "dataset": ("alternate_identifier", "related_identifier", "is_reused", "creator"),
    "distribution": ("issued",),
}


def _id_11(identifier: Any, kind: str, dropped: list[str], pointer: str) -> Any:
    if isinstance(identifier, list):
        if len(identifier) > 1:
            dropped.append(f"{pointer}/1…: 1.1 allows one identifier")
        identifier = identifier[0] if identifier else None
    if not isinstance(identifier, dict):
        return identifier
    allowed = dmp_schema.IDENTIFIER_TYPES_11[kind]
    out = dict(identifier)
    value = str(out.get("type", "")).lower()
    if kind == "funder_id" and value in ("crossref", "crossref funder id", "fundref"):
        value = "fundref"
    if (
        kind in ("dmp_id", "dataset_id", "grant_id")
        and value not in allowed
        and str(out.get("identifier", "")).startswith(("http://", "https://"))
    ):
        value = "url"
    out["type"] = value if value in allowed else "other"
    return out


def export_madmp(plan: dict[str, Any], version: str = "1.2") -> tuple[dict[str, Any], list[str]]:
    """``({"dmp": …}, dropped)`` for a canonical plan. ``1.2``: the plan as it is. ``1.1``: the
    shape DMP OPIDoR's API serves and takes — 1.2-only properties removed, single contact and
    contributor identifiers, identifier types mapped to 1.1's lists (else ``other``); ``dropped``
    says what the 1.1 shape could not carry."""
    if version == "1.2":
        return {"dmp": copy.deepcopy(plan)}, []
    if version != "1.1":
        raise ValueError(f"maDMP export version must be 1.2 or 1.1, not {version!r}")
    dropped: list[str] = []
    dmp = copy.deepcopy(plan)

    def drop(obj: dict[str, Any], kind: str, pointer: str) -> None:
        for key in ONLY_12[kind]:
            if key in obj:
                dropped.append(f"{pointer}/{key}: not in maDMP 1.1")
                del obj[key]

    drop(dmp, "dmp", "/dmp")
    if "dmp_id" in dmp:
        dmp["dmp_id"] = _id_11(dmp["dmp_id"], "dmp_id", dropped, "/dmp/dmp_id")
    contact = dmp.get("contact")
    if isinstance(contact, dict):
        drop(contact, "contact", "/dmp/contact")
        contact["contact_id"] = _id_11(
            contact.get("contact_id"), "contact_id", dropped, "/dmp/contact/contact_id"
        )
    for i, person in enumerate(dmp.get("contributor") or []):
        drop(person, "contributor", f"/dmp/contributor/{i}")
        ident = _id_11(
            person.get("contributor_id"), "contributor_id", dropped, f"/dmp/contributor/{i}/contributor_id"
        )
        if ident is None:
            ident = {"identifier": person.get("mbox") or person.get("name", ""), "type": "other"}
        person["contributor_id"] = ident
    for i, project in enumerate(dmp.get("project") or []):
        for j, funding in enumerate(project.get("funding") or []):
            p = f"/dmp/project/{i}/funding/{j}"
            funding["funder_id"] = _id_11(funding.get("funder_id"), "funder_id", dropped, p + "/funder_id")
            if "grant_id" in funding:
                funding["grant_id"] = _id_11(funding["grant_id"], "grant_id", dropped, p + "/grant_id")
    for i, dataset in enumerate(dmp.get("dataset") or []):
        drop(dataset, "dataset", f"/dmp/dataset/{i}")
        dataset["dataset_id"] = _id_11(
            dataset.get("dataset_id"), "dataset_id", dropped, f"/dmp/dataset/{i}/dataset_id"
        )
        for j, dist in enumerate(dataset.get("distribution") or []):
            drop(dist, "distribution", f"/dmp/dataset/{i}/distribution/{j}")
            host = dist.get("host")
            if isinstance(host, dict) and "host_id" in host:
                dropped.append(f"/dmp/dataset/{i}/distribution/{j}/host/host_id: not in maDMP 1.1")
                del host["host_id"]
            if isinstance(host, dict) and re.match(r"10\.\d{4,9}/\S+$", str(host.get("url", ""))):
                # 1.2's host URL is format "url" (not checked); 1.1's is a "uri": a bare DOI (as
                # the official FAIRsharing example gives) becomes its resolver URL.
                host["url"] = "https://doi.org/" + host["url"]
    if isinstance(dmp.get("ethical_issues_report"), str) and not re.match(
        r"https?://", dmp["ethical_issues_report"]
    ):
        dropped.append("/dmp/ethical_issues_report: 1.1 takes a URL")
        del dmp["ethical_issues_report"]
    return {"dmp": dmp}, dropped


# --- from a planned dataset to a draft record ---------------------------------------------------

_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
_ACCESS = {"open": "open", "shared": "restricted", "closed": "metadata_only"}


def _agent(person: dict[str, Any], id_key: str) -> dict[str, Any]:
    name = person.get("name", "").strip()
    agent: dict[str, Any] = {"type": "Personal", "name": name}
    if "," in name:
        family, given = (part.strip() for part in name.split(",", 1))
    elif " " in name:
        given, family = name.rsplit(" ", 1)
    else:
        given, family = "", name
    if given:
        agent["given_name"] = given
    if family:
        agent["family_name"] = family
    ids = person.get(id_key)
    for ident in ids if isinstance(ids, list) else [ids] if ids else []:
        if str(ident.get("type", "")).lower() == "orcid":
            found = _ORCID.search(ident.get("identifier", "").strip())
            if found:
                agent["identifiers"] = [{"identifier": found.group(1), "scheme": "ORCID"}]
                break
    affiliations = []
    for aff in person.get("affiliation") or []:
        entry = {"name": aff["name"]}
        aid = aff.get("affiliation_id") or {}
        if str(aid.get("type", "")).lower() == "ror":
            entry["ror"] = aid["identifier"]
        affiliations.append(entry)
    if affiliations:
        agent["affiliations"] = affiliations
    return agent


def _spdx(license_ref: str) -> str | None:
    found = controlled.spdx_license_by_url(license_ref)
    if found:
        return found
    m = re.search(r"creativecommons\.org/(?:licenses|publicdomain)/([a-z-]+)/(\d\.\d)", license_ref.lower())
    if m:
        name, ver = m.groups()
        candidate = "CC0-1.0" if name == "zero" else f"CC-{name.upper()}-{ver}"
        if controlled.spdx_license(candidate):
            return controlled.spdx_license(candidate)["id"]
    return None


def draft_from_dataset(plan: dict[str, Any], index: int) -> tuple[dict[str, Any], list[str]]:
    """Record metadata pre-filled from planned dataset ``index``: title, description, keywords,
    creators (the dataset's ``creator``, else the plan's contributors, else its contact),
    licence, access, funding (every project's funding). Returns (metadata, notes on what was
    not carried over)."""
    dataset = plan["dataset"][index]
    notes: list[str] = []
    lang = controlled.iso639(plan.get("language", "")) if plan.get("language") else None
    lang2 = (lang or {}).get("alpha2")
    metadata: dict[str, Any] = {"titles": [{"text": dataset["title"], **({"lang": lang2} if lang2 else {})}]}
    if dataset.get("description"):
        metadata["abstracts"] = [{"text": dataset["description"], **({"lang": lang2} if lang2 else {})}]
    if dataset.get("keyword"):
        metadata["free_keywords"] = [
            {"term": k} for k in dataset["keyword"] if isinstance(k, str) and k.strip()
        ]
    people = dataset.get("creator") or []
    creators = [_agent(p, "creator_id") for p in people]
    if not creators:
        creators = [_agent(p, "contributor_id") for p in plan.get("contributor") or []]
    if not creators and plan.get("contact"):
        creators = [_agent(plan["contact"], "contact_id")]
    if creators:
        metadata["creators"] = creators
    rights: dict[str, Any] = {}
    for dist in dataset.get("distribution") or []:
        if "access_level" not in rights and dist.get("data_access") in _ACCESS:
            rights["access_level"] = _ACCESS[dist["data_access"]]
        for lic in dist.get("license") or []:
            if "license" in rights:
                break
            spdx = _spdx(lic.get("license_ref", ""))
            if spdx:
                rights["license"] = {"id": spdx}
            else:
                notes.append(
                    f"licence {lic.get('license_ref')!r} is not an SPDX licence: choose it in the form"
                )
    if rights:
        metadata["rights"] = rights
    funding = []
    for project in plan.get("project") or []:
        for f in project.get("funding") or []:
            fid = f.get("funder_id") or {}
            ident = fid.get("identifier", "")
            entry: dict[str, Any] = {"funder_name": f.get("funder_name") or ident}
            if not f.get("funder_name"):
                notes.append(f"funder {ident!r}: the plan gives no funder name, check it in the form")
            kind = str(fid.get("type", "")).lower()
            if kind == "ror" or "ror.org/" in ident:
                entry.update(funder_identifier=ident, funder_identifier_type="ROR")
            elif kind in ("fundref", "crossref") or "10.13039/" in ident:
                number = re.search(r"(\d{6,})/?$", ident)
                if "10.13039/" not in ident and number:
                    ident = f"10.13039/{number.group(1)}"
                entry.update(funder_identifier=ident, funder_identifier_type="Crossref Funder ID")
            grant = (f.get("grant_id") or {}).get("identifier")
            if grant:
                if re.match(r"https?://", grant):
                    entry["award_uri"] = grant
                else:
                    entry["award_number"] = grant
            entry["award_title"] = project.get("title")
            if not entry["award_title"]:
                del entry["award_title"]
            funding.append(entry)
    if funding:
        metadata["funding"] = funding
    if dataset.get("type"):
        notes.append(f"dataset type {dataset['type']!r}: choose the resource type in the form")
    return metadata, notes


# --- write-back from a published record ---------------------------------------------------------


@dataclass
class Host:
    """This repository, as a maDMP ``host``."""

    title: str
    url: str
    certified_with: str | None = None
    pid_system: tuple[str, ...] = ("doi",)
    geo_location: str | None = "FR"
    support_versioning: str = "yes"

    def as_madmp(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "title": self.title,
            "url": self.url,
            "support_versioning": self.support_versioning,
        }
        if self.certified_with:
            out["certified_with"] = self.certified_with
        if self.pid_system:
            out["pid_system"] = list(self.pid_system)
        if self.geo_location:
            out["geo_location"] = self.geo_location
        return out


_DATA_ACCESS = {"open": "open", "embargoed": "closed", "restricted": "shared", "metadata_only": "closed"}


def write_back(
    plan: dict[str, Any], index: int, document: dict[str, Any], host: Host, *, now: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A copy of ``plan`` whose dataset ``index`` says what the published record ``document``
    (the canonical record document) is: the DOI as ``dataset_id`` (the record's local id when it
    has none), issued date, and one distribution for this repository with the actual licence
    and its start date, access, byte size, formats, download page and host. Returns the new plan
    (``modified`` set to ``now`` when anything changed) and the list of changes
    (``schemas.dmp.diff``)."""
    out = copy.deepcopy(plan)
    dataset = out["dataset"][index]
    metadata = document.get("metadata") or {}
    pids = document.get("pids") or {}
    doi = (pids.get("doi") or {}).get("identifier")
    landing = (document.get("links") or {}).get("self_html")
    if doi:
        dataset["dataset_id"] = {"identifier": f"https://doi.org/{doi}", "type": "doi"}
    elif landing:
        dataset["dataset_id"] = {"identifier": landing, "type": "url"}
    issued = (document.get("publication_date") or "")[:10] or None
    if issued:
        dataset["issued"] = issued
    rights = metadata.get("rights") or {}
    level = rights.get("access_level", "open")
    distribution: dict[str, Any] = {
        "title": schemas_title(metadata) or dataset["title"],
        "data_access": _DATA_ACCESS.get(level, "open"),
        "host": host.as_madmp(),
    }
    if landing:
        distribution["access_url"] = landing
    files = document.get("files") or []
    if files:
        distribution["byte_size"] = sum(int(f.get("size") or 0) for f in files)
        formats = sorted({f["mimetype"] for f in files if f.get("mimetype")})
        if formats:
            distribution["format"] = formats
    license_ = rights.get("license") or {}
    if license_.get("uri") or license_.get("id"):
        start = rights.get("embargo_until") if level == "embargoed" else issued
        ref = _license_url(license_)
        distribution["license"] = [{"license_ref": ref, "start_date": start or issued or now[:10]}]
    if issued:
        distribution["issued"] = issued
    dists = dataset.setdefault("distribution", [])
    # Replace the distribution this repository wrote before (same host URL) or one that names
    # no host or this repository by title; else add ours.
    position = next(
        (i for i, d in enumerate(dists) if (d.get("host") or {}).get("url") == host.url),
        None,
    )
    if position is None:
        position = next(
            (i for i, d in enumerate(dists) if (d.get("host") or {}).get("title") == host.title), None
        )
    if position is None and len(dists) == 1 and not dists[0].get("host"):
        position = 0
    if position is None:
        dists.append(distribution)
    else:
        kept = {k: v for k, v in dists[position].items() if k in ("description", "available_until")}
        dists[position] = {**kept, **distribution}
    changes = dmp_schema.diff(plan, out)
    if changes:
        before = out.get("modified")
        out["modified"] = now
        if before != now:
            changes.append({"field": "/modified", "old": before, "new": now})
    return out, changes


def _license_url(license_: dict[str, Any]) -> str:
    """The licence's own page when SPDX lists one on the licensor's site (Creative Commons, Open
    Data Commons), which DMP tools recognise, else the record's licence URI."""
    found = controlled.spdx_license(license_["id"]) if license_.get("id") else None
    uri = license_.get("uri") or (found or {}).get("reference") or ""
    if found and (not uri or uri == found.get("reference")):
        for url in found.get("see_also") or []:
            if "creativecommons.org/" in url or "opendatacommons.org/" in url:
                return url
    return uri


def schemas_title(metadata: dict[str, Any]) -> str | None:
    """The main title of record metadata."""
    for title in metadata.get("titles") or []:
        if not title.get("type"):
            return title.get("text")
    return None
