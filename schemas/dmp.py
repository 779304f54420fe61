"""The canonical data management plan: the RDA DMP Common Standard 1.2 ``dmp`` object.

A plan is stored and exchanged as the content of maDMP 1.2's ``dmp`` object (a plain dict), so
that the standard's own JSON schema (bundled in ``data/madmp/``, public domain) is the single
source of its rules. The fields the service reads and writes are those the standard defines:
title, description, language, identifiers, created/modified, contact and contributors (ORCID,
ROR affiliations, roles), projects with funding, ethical issues, costs, and datasets (title,
description, type, planned issue date, personal and sensitive data, keywords, data quality
assurance, preservation statement, security and privacy, technical resources, metadata
standards, distributions with host, licence, access, format and byte size).

Validation errors are :class:`schemas.errors.FieldError` s addressed by JSON Pointer. Plain
Python: no Flask, no database.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from .errors import FieldError, RecordValidationError, merge_errors, to_pointer

VERSIONS = ("1.0", "1.1", "1.2")
CURRENT = "1.2"
_DATA = Path(__file__).parent / "data" / "madmp"

#: The ``type`` values of maDMP 1.0/1.1 identifiers (1.2 accepts any string).
IDENTIFIER_TYPES_11 = {
    "dmp_id": ("handle", "doi", "ark", "url", "other"),
    "dataset_id": ("handle", "doi", "ark", "url", "other"),
    "contact_id": ("orcid", "isni", "openid", "other"),
    "contributor_id": ("orcid", "isni", "openid", "other"),
    "funder_id": ("fundref", "url", "other"),
    "grant_id": ("url", "other"),
}
YES_NO_UNKNOWN = ("yes", "no", "unknown")
DATA_ACCESS = ("open", "shared", "closed")


class PlanValidationError(RecordValidationError):
    """A plan (or a maDMP document) that fails the schema; ``errors`` point at each problem."""


@cache
def madmp_schema(version: str = CURRENT) -> dict[str, Any]:
    """The official maDMP JSON schema of ``version`` (``1.0``, ``1.1`` or ``1.2``)."""
    if version not in VERSIONS:
        raise ValueError(f"unknown maDMP version {version!r} (known: {', '.join(VERSIONS)})")
    return json.loads((_DATA / f"maDMP-schema-{version}.json").read_text(encoding="utf-8"))


# --- formats ----------------------------------------------------------------------------------
# The schemas declare date, date-time (RFC 3339), email and url/uri formats. jsonschema only
# checks formats it has a checker for (date-time needs an optional package), so we give our own.

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$")


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATETIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


@cache
def _format_checker():
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date")(_is_date)
    checker.checks("date-time")(_is_datetime)
    checker.checks("email")(lambda v: not isinstance(v, str) or bool(_EMAIL.match(v)))
    # "url" is not a JSON Schema format and the official example ex10 gives a host "url" that
    # is a bare DOI: like the reference validators, we do not check it. "uri" must be absolute.
    checker.checks("uri")(lambda v: not isinstance(v, str) or bool(_URL.match(v)))
    return checker


@cache
def _validator(version: str):
    import jsonschema

    schema = madmp_schema(version)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=_format_checker())


def _message(error: Any) -> str:
    if error.validator == "required":
        missing = re.search(r"'([^']+)' is a required property", error.message)
        return f"is required ({missing.group(1)})" if missing else error.message
    if error.validator == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        if len(allowed) > 120:
            allowed = allowed[:117] + "..."
        return f"{error.instance!r} is not one of the allowed values ({allowed})"
    if error.validator == "format":
        return f"{error.instance!r} is not a valid {error.validator_value}"
    if error.validator == "oneOf":
        return "must be one identifier object or a list of them"
    return error.message


def validate_madmp(document: Any, version: str = CURRENT) -> list[FieldError]:
    """Every error of a whole maDMP document (``{"dmp": …}``) against the official schema of
    ``version``, one per JSON Pointer; ``[]`` when valid. A missing required property is
    reported at the property's own pointer (``/dmp/contact/mbox``)."""
    errors: list[FieldError] = []
    for error in _validator(version).iter_errors(document):
        path = tuple(error.absolute_path)
        if error.validator == "required":
            missing = re.search(r"'([^']+)' is a required property", error.message)
            if missing:
                path = (*path, missing.group(1))
            errors.append(FieldError(to_pointer(path), ["is required"]))
            continue
        errors.append(FieldError(to_pointer(path), [_message(error)]))
    return merge_errors(errors)


def validate_plan(plan: Any) -> list[FieldError]:
    """Errors of a canonical plan (the 1.2 ``dmp`` object), pointers relative to the plan."""
    errors = validate_madmp({"dmp": plan}, CURRENT)
    out = []
    for e in errors:
        pointer = e.field[len("/dmp") :] if e.field.startswith("/dmp") else e.field
        out.append(FieldError(pointer, e.messages))
    return out


def load_plan(plan: Any) -> dict[str, Any]:
    """A deep copy of ``plan`` if it is a valid maDMP 1.2 ``dmp`` object; raises
    :class:`PlanValidationError` listing every error otherwise."""
    errors = validate_plan(plan)
    if errors:
        raise PlanValidationError(errors)
    return copy.deepcopy(plan)


# --- building and completing plans -------------------------------------------------------------


def now_datetime(now: datetime) -> str:
    """A maDMP ``created``/``modified`` value (RFC 3339, UTC, seconds)."""
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def complete_plan(plan: dict[str, Any], *, plan_url: str, now: datetime) -> dict[str, Any]:
    """A copy of ``plan`` with the required values a person does not type filled in: ``dmp_id``
    (the plan's URL here), ``created``/``modified``, ``language`` (``eng``),
    ``ethical_issues_exist`` and each dataset's ``personal_data``/``sensitive_data``
    (``unknown``), ``dataset_id`` (``<plan_url>#dataset-<n>``, type ``other``) and ``dataset``
    itself (empty list)."""
    out = copy.deepcopy(plan)
    stamp = now_datetime(now)
    out.setdefault("dmp_id", {"identifier": plan_url, "type": "url"})
    out.setdefault("created", stamp)
    out.setdefault("modified", stamp)
    out.setdefault("language", "eng")
    out.setdefault("ethical_issues_exist", "unknown")
    datasets = out.setdefault("dataset", [])
    if isinstance(datasets, list):
        used = {
            d["dataset_id"].get("identifier")
            for d in datasets
            if isinstance(d, dict) and isinstance(d.get("dataset_id"), dict)
        }
        for index, dataset in enumerate(datasets):
            if not isinstance(dataset, dict):
                continue
            dataset.setdefault("personal_data", "unknown")
            dataset.setdefault("sensitive_data", "unknown")
            if "dataset_id" not in dataset:
                # Unique within the plan: links to deposits name a planned dataset by it.
                number = index + 1
                while f"{plan_url}#dataset-{number}" in used:
                    number += 1
                identifier = f"{plan_url}#dataset-{number}"
                used.add(identifier)
                dataset["dataset_id"] = {"identifier": identifier, "type": "other"}
    return out


def plan_title(plan: dict[str, Any]) -> str:
    """The plan's title, for lists and pages."""
    title = plan.get("title") if isinstance(plan, dict) else None
    return title if isinstance(title, str) and title.strip() else "(untitled plan)"


def diff(before: Any, after: Any, path: tuple = ()) -> list[dict[str, Any]]:
    """What changed between two JSON values: ``[{"field": pointer, "old": …, "new": …}]``
    (lists compared item by item; a changed leaf or an added/removed key is one entry)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[dict[str, Any]] = []
        for key in list(before) + [k for k in after if k not in before]:
            out.extend(diff(before.get(key), after.get(key), (*path, key)))
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for index, (b, a) in enumerate(zip(before, after, strict=True)):
            out.extend(diff(b, a, (*path, index)))
        return out
    if before == after:
        return []
    return [{"field": to_pointer(path), "old": before, "new": after}]
