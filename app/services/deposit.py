"""Use cases of the Metadata-Engine: starting a draft (blank, from a template, from an imported
file) and the acceptance report the form shows.

The acceptance report is computed by the same code as the publish gate
(``records._check_complete`` on submission and acceptance, ``records._check_exports`` on
acceptance): schema errors, missing mandatory fields and unknown vocabulary terms, then every
registered export validated against its official schema (``curation.checks.export_problems``).
Green here means the moderator's accept is not refused for format reasons.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

import schemas
from app.models import Record
from app.services import records as svc
from app.services.errors import InvalidInput, field_error
from curation import Actor
from curation.checks import export_problems, vocabulary_errors, vocabulary_findings
from schemas.errors import merge_errors

#: What each acceptance target checks: the export formats whose validation it needs. DataCite
#: (kernel 4 and its OAI wrapper), INSPIRE (the ISO 19139 writer, TG 2.0) and Recherche Data
#: Gouv's Dataverse harvester (``oai_dc``). A format not named here is checked under "other".
TARGETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("datacite", ("datacite", "datacite45", "oai_datacite", "datacite-json")),
    ("inspire", ("iso19139", "iso19115-3")),
    ("rdg", ("oai_dc",)),
)

#: Fields an imported file's metadata keeps from the template: everything but what identifies
#: the earlier dataset itself.
NOT_COPIED_FROM_TEMPLATE = ("alternate_identifiers", "related_identifiers", "dates", "version")


def draft_from_template(session: Session, actor: Actor, template_id: str) -> Record:
    """A new draft whose metadata copies one of the actor's own records (any state they may
    read), minus what identifies that record (its identifiers, dates and version label)."""
    source = svc.get_record(session, actor, template_id)
    if source.owner_id != actor.user_id:
        raise field_error("/template", "choose one of your own datasets as a template")
    metadata = {
        k: copy.deepcopy(v) for k, v in (source.metadata_ or {}).items() if k not in NOT_COPIED_FROM_TEMPLATE
    }
    return svc.create_draft(session, actor, metadata)


@dataclass
class Imported:
    record: Record
    format_name: str
    unmapped: list[str]


def import_draft(
    session: Session,
    actor: Actor,
    data: bytes,
    *,
    format_name: str | None,
    config: dict[str, Any],
    community: str | None = None,
) -> Imported:
    """A new draft from a DataCite or ISO 19139 / 19115-3 XML record (``exports.importing``).
    Malformed XML or an unknown format: 400 naming ``/file``. An imported DOI is kept."""
    from app.services import dois
    from exports.importing import import_record
    from exports.registry import ImportError_

    if not data:
        raise field_error("/file", "choose an XML file to import")
    try:
        name, result = import_record(data, format_name)
    except ImportError_ as exc:
        raise field_error("/file", str(exc)) from None
    record = svc.create_draft(session, actor, result.metadata, community)
    if result.source_identifier and result.source_identifier.lower().startswith(
        ("10.", "doi:", "https://doi.org/")
    ):
        # An imported record keeps its DOI; no second one is minted (docs/dois.md).
        dois.adopt(session, actor, record.id, result.source_identifier, dois.provider_for(config))
    return Imported(record, name, list(result.unmapped))


_EXPORT_CACHE: OrderedDict[str, list[tuple[str, str]]] = OrderedDict()
_EXPORT_CACHE_SIZE = 256
_EXPORT_CACHE_LOCK = threading.Lock()


def cached_export_problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    """:func:`curation.checks.export_problems`, remembered by the document's content.

    Writing and validating every export takes a good part of a second; the form asks after
    every save and on every render, mostly for a document it has already seen. The result
    depends on the document alone (and on the installed standards bundle, fixed for a
    process), so a content hash is an exact key: nothing stale is ever served.
    """
    key = hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()
    with _EXPORT_CACHE_LOCK:
        if key in _EXPORT_CACHE:
            _EXPORT_CACHE.move_to_end(key)
            return _EXPORT_CACHE[key]
    problems = export_problems(document)
    with _EXPORT_CACHE_LOCK:
        _EXPORT_CACHE[key] = problems
        while len(_EXPORT_CACHE) > _EXPORT_CACHE_SIZE:
            _EXPORT_CACHE.popitem(last=False)
    return problems


_REPORTS: OrderedDict[str, schemas.ValidationReport] = OrderedDict()
_REPORTS_LOCK = threading.Lock()


def cached_validation(metadata: dict[str, Any]) -> schemas.ValidationReport:
    """:func:`schemas.validate_metadata`, remembered by the metadata's content.

    The form asks for the acceptance report on every render and after every save; validating
    a record of 50 creators and 200 keywords takes tens of milliseconds each time, for a
    document already validated when it was saved. The report depends on the metadata alone,
    so its content hash is an exact key. Callers must not modify the report."""
    key = hashlib.sha256(json.dumps(metadata, sort_keys=True, default=str).encode()).hexdigest()
    with _REPORTS_LOCK:
        if key in _REPORTS:
            _REPORTS.move_to_end(key)
            return _REPORTS[key]
    report = schemas.validate_metadata(metadata)
    with _REPORTS_LOCK:
        _REPORTS[key] = report
        while len(_REPORTS) > _EXPORT_CACHE_SIZE:
            _REPORTS.popitem(last=False)
    return report


@dataclass
class Target:
    name: str
    ok: bool
    #: (pointer into the metadata or None, message)
    problems: list[tuple[str | None, str]] = field(default_factory=list)


@dataclass
class Acceptance:
    completeness: float
    missing_mandatory: list[str]
    missing_recommended: list[str]
    errors: list[schemas.FieldError]
    targets: list[Target]
    #: True when export validation was skipped (no standards bundle): ticks are then provisional.
    exports_unchecked: bool = False

    @property
    def ready(self) -> bool:
        return all(t.ok for t in self.targets)


def acceptance(session: Session, record: Record, base_url: str) -> Acceptance:
    """Completeness and, per target, what the publish gate would refuse (see module doc)."""
    from app.services.documents import record_document
    from app.services.vocabularies import DatabaseIndex

    metadata = record.metadata_ or {}
    report = cached_validation(metadata)
    findings = vocabulary_findings(metadata, DatabaseIndex(session))
    errors = merge_errors(report.errors + vocabulary_errors(findings))
    common: list[tuple[str | None, str]] = [(e.field, "; ".join(e.messages)) for e in errors]
    problems = cached_export_problems(record_document(session, record, base_url)) if not errors else []
    skipped = any(name == "*" for name, _ in problems)
    by_format: dict[str, list[str]] = {}
    for name, message in problems:
        if name != "*":
            by_format.setdefault(name, []).append(message)
    targets = []
    claimed: set[str] = set()
    for target, names in TARGETS:
        claimed.update(names)
        own = [(None, f"{n}: {m}") for n in names for m in by_format.get(n, [])]
        targets.append(Target(target, not common and not own, common + own))
    others = [(None, f"{n}: {m}") for n, msgs in by_format.items() if n not in claimed for m in msgs]
    community_problems: list[tuple[str | None, str]] = list(common)
    if record.community is None:
        community_problems.append(("/community", "choose the community to submit to"))
    targets.append(Target("community", not community_problems and not others, community_problems + others))
    return Acceptance(
        report.completeness, report.missing_mandatory, report.missing_recommended, errors, targets, skipped
    )


def submit_from_form(session: Session, actor: Actor, record_id: str, community: str) -> Record:
    """Submit with the community chosen in the form; 400 naming ``/community`` without one."""
    if not community:
        raise InvalidInput(
            "choose the community to submit to", [schemas.FieldError("/community", ["is required"])]
        )
    return svc.submit(session, actor, record_id, community=community)
