"""Quality checks a submission and a moderator's acceptance depend on, beyond the metadata schema.

* :func:`vocabulary_findings` checks the terms a record claims from a vocabulary (keywords,
  platforms, instruments, variables) against the loaded vocabularies, and
  :func:`refresh_vocabulary_terms` brings their labels, URIs and thesaurus citations up to
  date (issue #5). The vocabularies come in through a
  :class:`vocabularies.lookup.VocabularyIndex`: the database in the app, the bundled files
  without one; nothing here touches the database.
* :func:`export_problems` runs every registered export format on the record document: a record
  whose exports do not validate against their official schemas cannot be accepted (issue #3).
  Formats register themselves in ``exports``; a new format is checked without any change here.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

from lxml import etree

from exports.registry import Format, formats
from exports.xmlutil import standards_root, validate_xml
from schemas import FieldError
from schemas.errors import merge_errors
from vocabularies.lookup import KeywordFinding, VocabularyIndex, check_keywords, refresh_keywords

VALIDATION_SKIPPED = "not validated: the offline standards bundle is absent (set ALLUVIUM_STANDARDS_PATH)"
MAX_MESSAGES = 5

#: Schemas of namespaces that occur inside records without being a registered format's root
#: namespace. libxml2 ignores xsi:schemaLocation, so they must be imported in the wrapper
#: (standards README, "Validation method": 19139 records using gmx:/srv: need them).
COMPANION_SCHEMAS = {
    "http://www.isotc211.org/2005/gmx": "http://schemas.opengis.net/iso/19139/20070417/gmx/gmx.xsd",
    "http://www.isotc211.org/2005/srv": "http://schemas.opengis.net/iso/19139/20070417/srv/1.0/srv.xsd",
    "http://www.isotc211.org/2005/gmi": "http://www.isotc211.org/2005/gmi/gmi.xsd",
}


# --- vocabularies -----------------------------------------------------------------------------

#: The metadata fields whose items name a vocabulary (``scheme_uri``): keyword groups, and
#: single concepts.
VOCABULARY_FIELDS = ("keywords", "platforms", "instruments", "variables")
SEVERITIES = ("error", "warning", "info")


def vocabulary_findings(metadata: dict[str, Any], index: VocabularyIndex) -> list[KeywordFinding]:
    """What the loaded vocabularies say about the terms ``metadata`` claims from them.

    Each finding's ``path`` is a JSON pointer into ``metadata`` (``/keywords/0/terms/2``,
    ``/platforms/1``). Severities (see :func:`vocabularies.lookup.check_keywords`):

    * ``error`` — ``unknown_term``: the term is not in the vocabulary it claims. Submission
      and acceptance are refused (:func:`vocabulary_errors`); a draft may still be saved.
    * ``warning`` — ``unknown_scheme`` (the vocabulary is not loaded, so its terms cannot be
      checked) and ``deprecated`` (with the replacing concepts when the vocabulary names them).
      They never block: the moderator sees them and decides.
    * ``info`` — ``label_refreshed`` and ``uri_found``: what :func:`refresh_vocabulary_terms`
      changes at the next save or submission.

    Sorted by severity, then by field order.
    """
    findings = []
    for field in VOCABULARY_FIELDS:
        items = metadata.get(field) or []
        findings += [dataclasses.replace(f, path=f"/{field}{f.path}") for f in check_keywords(items, index)]
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity))


def vocabulary_errors(findings: list[KeywordFinding]) -> list[FieldError]:
    """The blocking findings (severity ``error``) as field errors, one per pointer."""
    return merge_errors([FieldError(f.path, [f.message]) for f in findings if f.severity == "error"])


def refresh_vocabulary_terms(metadata: dict[str, Any], index: VocabularyIndex) -> dict[str, Any]:
    """A copy of ``metadata`` whose vocabulary terms are brought up to date
    (:func:`vocabularies.lookup.refresh_keywords`): current preferred labels, URIs of terms
    found by label, and each group's thesaurus citation (title, date) from its vocabulary.
    Terms the vocabularies do not know are left as they are."""
    result = dict(metadata)
    for field in VOCABULARY_FIELDS:
        if metadata.get(field):
            result[field] = refresh_keywords(metadata[field], index)
    return result


# --- exports -----------------------------------------------------------------------------------


def _imports(fmt: Format, root: etree._Element, xml_formats: list[Format]) -> tuple[tuple[str, str], ...]:
    """The schemas to validate ``root`` with: the format's own, plus the schema of every other
    registered format whose namespace occurs in the document (a wrapper's payload, e.g. the
    kernel-4 ``resource`` inside ``oai_datacite``), one schema per namespace."""
    assert fmt.namespace and fmt.schema_location
    imports = {fmt.namespace: fmt.schema_location}

    def present(namespace: str) -> bool:
        # lxml's own "{ns}*" filter walks the tree in C, stopping at the first element.
        return next(root.iter(f"{{{namespace}}}*"), None) is not None

    for other in xml_formats:
        if other.namespace not in imports and other.schema_location and present(other.namespace):
            imports[other.namespace] = other.schema_location
    for namespace, location in COMPANION_SCHEMAS.items():
        if namespace not in imports and present(namespace):
            imports[namespace] = location
    return tuple(imports.items())


def export_problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(format name, message) for every export of ``document`` that fails; [] when all pass.

    Every registered writer runs (an exception is a problem). XML formats with a namespace and
    schema location are validated against their official schema when the standards bundle is
    available; without it, one ``("*", VALIDATION_SKIPPED)`` entry says validation was skipped
    (it is informational: callers decide whether to block on it).
    """
    problems: list[tuple[str, str]] = []
    all_formats = formats()
    xml_formats = [f for f in all_formats if f.is_xml and f.namespace and f.schema_location]
    can_validate = standards_root() is not None
    for fmt in all_formats:
        try:
            with warnings.catch_warnings():
                # A library's deprecation notice inside a writer (rdflib's ConjunctiveGraph, …)
                # says nothing about the export; under ``-W error`` it would read as a failure.
                warnings.simplefilter("ignore", DeprecationWarning)
                payload = fmt.writer(document)
        except Exception as exc:  # noqa: BLE001 - any writer failure is reported, with its type
            problems.append((fmt.name, f"the writer failed: {type(exc).__name__}: {exc}"))
            continue
        if not (can_validate and fmt in xml_formats):
            continue
        try:
            root = etree.fromstring(payload, etree.XMLParser(resolve_entities=False, no_network=True))
            errors = validate_xml(root, _imports(fmt, root, xml_formats))
        except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
            errors = [str(exc)]
        for message in errors[:MAX_MESSAGES]:
            problems.append((fmt.name, message))
        if len(errors) > MAX_MESSAGES:
            problems.append((fmt.name, f"… and {len(errors) - MAX_MESSAGES} more"))
    if not can_validate:
        problems.append(("*", VALIDATION_SKIPPED))
    return problems
