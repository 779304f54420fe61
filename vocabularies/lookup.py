"""Vocabulary look-ups and keyword checks, as plain Python over a small protocol.

``schemas/`` and ``curation/`` may not import the app, so they talk to vocabularies through
:class:`VocabularyIndex`. The app implements it over the database
(``app.services.vocabularies.DatabaseIndex``); :class:`BundledIndex` implements it over the
vocabularies shipped in ``vocabularies/data/bundled/`` (and any parsed file), for tests and
for code that runs without a database.

Keywords have the canonical record's shape (``schemas/metadata.py``)::

    {"scheme_name": "GCMD Science Keywords", "scheme_uri": "https://…/sciencekeywords",
     "scheme_date": "2020-07-16", "keyword_type": "theme",
     "terms": [{"term": "OCEAN TEMPERATURE", "value_uri": "https://…/concept/…", "lang": "en"}]}

A single concept (platforms, instruments) ``{"term", "value_uri", "scheme_name", "scheme_uri"}``
is checked as a group of one.
"""

from __future__ import annotations

import copy
import datetime as _dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from vocabularies.skos import Concept, ConceptScheme, Vocabulary


def normalise(text: str) -> str:
    """Lower-case, accent-free, punctuation-free form used for matching labels.

    ``"Température de surface (mer)"`` -> ``"temperature de surface mer"``.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", stripped).split())


def pick_label(labels: dict[str, str], lang: str | None) -> str | None:
    """The label in ``lang``, else English, else an untagged one, else any (alphabetically by
    language, so that the choice is stable)."""
    for key in (lang, "en", ""):
        if key is not None and labels.get(key):
            return labels[key]
    return next((labels[k] for k in sorted(labels) if labels[k]), None)


@dataclass(frozen=True)
class SchemeInfo:
    """What validation and exports need to know about a vocabulary."""

    uri: str
    name: str
    title: dict[str, str] = field(default_factory=dict)
    version: str | None = None
    issued: str | None = None
    modified: str | None = None

    def citation(self, lang: str | None = "en") -> dict[str, Any]:
        """The thesaurus citation (ISO ``gmd:thesaurusName``, DataCite ``subjectScheme``/``schemeURI``):
        title, URI and the most recent date with its ISO ``CI_DateTypeCode``."""
        date, date_type = (self.modified, "revision") if self.modified else (self.issued, "publication")
        return {
            "title": pick_label(self.title, lang) or self.name,
            "uri": self.uri,
            "date": date,
            "date_type": date_type if date else None,
            "version": self.version,
        }


@dataclass(frozen=True)
class ConceptInfo:
    """One concept of a vocabulary, as validation sees it."""

    uri: str
    scheme_uri: str
    notation: str | None = None
    pref_labels: dict[str, str] = field(default_factory=dict)
    alt_labels: dict[str, list[str]] = field(default_factory=dict)
    deprecated: bool = False
    replaced_by: tuple[str, ...] = ()

    def label(self, lang: str | None = None) -> str | None:
        return pick_label(self.pref_labels, lang)


class VocabularyIndex(Protocol):
    """Read access to the loaded vocabularies."""

    def scheme(self, uri: str) -> SchemeInfo | None:
        """The vocabulary with this URI, or None when it is not loaded."""

    def concept(self, scheme_uri: str, concept_uri: str) -> ConceptInfo | None:
        """The concept ``concept_uri`` of vocabulary ``scheme_uri`` (deprecated ones included)."""

    def concept_by_label(self, scheme_uri: str, label: str) -> ConceptInfo | None:
        """The concept whose preferred or alternative label (any language) or notation is
        ``label`` once normalised; preferred labels and live concepts win."""


def concept_info(scheme_uri: str, concept: Concept) -> ConceptInfo:
    return ConceptInfo(
        uri=concept.uri,
        scheme_uri=scheme_uri,
        notation=concept.notation,
        pref_labels=dict(concept.pref_labels),
        alt_labels={k: list(v) for k, v in concept.alt_labels.items()},
        deprecated=concept.deprecated,
        replaced_by=tuple(concept.replaced_by),
    )


def scheme_info(name: str, scheme: ConceptScheme) -> SchemeInfo:
    return SchemeInfo(scheme.uri, name, dict(scheme.title), scheme.version, scheme.issued, scheme.modified)


class BundledIndex:
    """An in-memory :class:`VocabularyIndex` over parsed vocabularies (the bundled ones by
    default)."""

    def __init__(self, vocabularies: Iterable[tuple[str, Vocabulary]] | None = None):
        if vocabularies is None:
            from vocabularies.bundled import bundled_vocabularies

            vocabularies = [(item.name, vocab) for item, vocab in bundled_vocabularies()]
        self._schemes: dict[str, SchemeInfo] = {}
        self._concepts: dict[tuple[str, str], ConceptInfo] = {}
        self._labels: dict[tuple[str, str], list[tuple[int, ConceptInfo]]] = {}
        for name, vocab in vocabularies:
            uri = vocab.scheme.uri
            self._schemes[uri] = scheme_info(name, vocab.scheme)
            for concept in vocab.concepts:
                info = concept_info(uri, concept)
                self._concepts[(uri, concept.uri)] = info
                keyed = [(0, t) for t in concept.pref_labels.values()]
                keyed += [(1, t) for ts in concept.alt_labels.values() for t in ts]
                keyed += [(1, concept.notation)] if concept.notation else []
                for rank, text in keyed:
                    self._labels.setdefault((uri, normalise(text)), []).append(
                        (rank + 2 * concept.deprecated, info)
                    )

    def scheme(self, uri: str) -> SchemeInfo | None:
        return self._schemes.get(uri)

    def concept(self, scheme_uri: str, concept_uri: str) -> ConceptInfo | None:
        return self._concepts.get((scheme_uri, concept_uri))

    def concept_by_label(self, scheme_uri: str, label: str) -> ConceptInfo | None:
        found = self._labels.get((scheme_uri, normalise(label)))
        return min(found, key=lambda pair: (pair[0], pair[1].uri))[1] if found else None

    def schemes(self) -> list[SchemeInfo]:
        return sorted(self._schemes.values(), key=lambda s: s.name)


# --- keyword checks ---------------------------------------------------------------------------

UNKNOWN_SCHEME = "unknown_scheme"
UNKNOWN_TERM = "unknown_term"
DEPRECATED = "deprecated"
LABEL_REFRESHED = "label_refreshed"
URI_FOUND = "uri_found"


@dataclass(frozen=True)
class KeywordFinding:
    """One thing validation found about a keyword.

    ``path`` is a JSON pointer relative to the keyword list (``/0/terms/1``). ``severity`` is
    ``error`` (the record claims a term the vocabulary does not have), ``warning`` (for the
    moderator: unknown vocabulary, deprecated term) or ``info`` (a label or URI that
    :func:`refresh_keywords` fills in).
    """

    path: str
    code: str
    severity: str
    message: str
    concept_uri: str | None = None
    label: str | None = None
    #: For a deprecated term: the concepts that replace it (``dct:isReplacedBy``), each
    #: ``{"uri", "label"}`` (label None when the replacement is not in the vocabulary).
    replacements: tuple[dict[str, str | None], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The finding as JSON: empty attributes left out, replacements as a list."""
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if value is None or value == ():
                continue
            out[key] = [dict(r) for r in value] if key == "replacements" else value
        return out


def _groups(
    keywords: Iterable[dict[str, Any]],
) -> Iterable[tuple[str, dict[str, Any], list[tuple[str, dict]]]]:
    for i, item in enumerate(keywords):
        if "terms" in item:
            yield f"/{i}", item, [(f"/{i}/terms/{j}", t) for j, t in enumerate(item.get("terms") or [])]
        else:
            yield f"/{i}", item, [(f"/{i}", item)]


def _path_leaf(text: str) -> str | None:
    """The last level of a keyword written as its hierarchy path, as GCMD keywords commonly are
    ("EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE > SEA SURFACE TEMPERATURE"); None otherwise."""
    _, sep, leaf = text.rpartition(">")
    if not sep:
        return None
    return leaf.strip() or None


def _is_current(text: str, concept: ConceptInfo) -> bool:
    """True when ``text`` is one of the concept's preferred labels, or its hierarchy path ending
    in one (the path form is kept: it is how GCMD asks keywords to be written)."""
    labels = set(concept.pref_labels.values())
    return text in labels or _path_leaf(text) in labels


def _check_term(
    index: VocabularyIndex, scheme: SchemeInfo, where: str, term: dict[str, Any]
) -> list[KeywordFinding]:
    text = (term.get("term") or "").strip()
    uri = (term.get("value_uri") or "").strip()
    name = scheme.name
    as_path = False
    if uri:
        concept = index.concept(scheme.uri, uri)
        if concept is None:
            return [
                KeywordFinding(
                    where,
                    UNKNOWN_TERM,
                    "error",
                    f"{uri} is not a concept of the vocabulary {name!r} ({scheme.uri})",
                    concept_uri=uri,
                )
            ]
    else:
        concept = index.concept_by_label(scheme.uri, text) if text else None
        leaf = _path_leaf(text)
        if concept is None and leaf:
            concept = index.concept_by_label(scheme.uri, leaf)
            as_path = concept is not None
        if concept is None:
            return [
                KeywordFinding(
                    where,
                    UNKNOWN_TERM,
                    "error",
                    f"{text!r} is not a term of the vocabulary {name!r} ({scheme.uri})",
                )
            ]
    findings = []
    # Without a language tag, keep the language the user wrote the term in.
    lang = term.get("lang") or next(
        (k for k, v in sorted(concept.pref_labels.items()) if normalise(v) == normalise(text)), None
    )
    label = concept.label(lang)
    if not uri:
        # A path keeps its form; only the URI is filled in.
        findings.append(
            KeywordFinding(
                where,
                URI_FOUND,
                "info",
                f"{text!r} is {concept.uri} in {name!r}",
                concept_uri=concept.uri,
                label=None if as_path else label,
            )
        )
    elif label and not _is_current(text, concept):
        findings.append(
            KeywordFinding(
                where,
                LABEL_REFRESHED,
                "info",
                f"the vocabulary {name!r} now calls this term {label!r}",
                concept_uri=concept.uri,
                label=label,
            )
        )
    if concept.deprecated:
        replacements = []
        for new_uri in concept.replaced_by:
            new = index.concept(scheme.uri, new_uri)
            replacements.append({"uri": new_uri, "label": new.label(term.get("lang")) if new else None})
        message = f"{label or text!r} is deprecated in the vocabulary {name!r}"
        if replacements:
            message += "; use " + " or ".join(
                f"{r['label'] or r['uri']!r} ({r['uri']})" for r in replacements
            )
            message += " instead"
        else:
            message += " and it names no replacement"
        findings.append(
            KeywordFinding(
                where,
                DEPRECATED,
                "warning",
                message,
                concept_uri=concept.uri,
                label=label,
                replacements=tuple(replacements),
            )
        )
    return findings


def check_keywords(keywords: Iterable[dict[str, Any]], index: VocabularyIndex) -> list[KeywordFinding]:
    """Check keywords that claim a vocabulary against it.

    * a term whose ``value_uri`` (or, without URI, whose label) is not in the vocabulary: error;
    * a vocabulary that is not loaded: warning (it cannot be checked; the moderator decides);
    * a deprecated term: warning, with the concepts that replace it when the vocabulary names
      them (``dct:isReplacedBy``);
    * a stored label that differs from the vocabulary's, or a term found by label without
      URI: info, with the label/URI :func:`refresh_keywords` writes.

    Groups without ``scheme_uri`` are free keywords and are not checked.
    """
    findings: list[KeywordFinding] = []
    for where, group, terms in _groups(keywords):
        scheme_uri = (group.get("scheme_uri") or "").strip()
        if not scheme_uri:
            continue
        scheme = index.scheme(scheme_uri)
        if scheme is None:
            findings.append(
                KeywordFinding(
                    where,
                    UNKNOWN_SCHEME,
                    "warning",
                    f"the vocabulary {group.get('scheme_name') or scheme_uri!r} ({scheme_uri}) is not loaded, "
                    "so its terms cannot be checked",
                )
            )
            continue
        for term_where, term in terms:
            findings.extend(_check_term(index, scheme, term_where, term))
    return findings


def _at(document: Any, pointer: str) -> Any:
    target = document
    for part in pointer.strip("/").split("/"):
        target = target[int(part)] if isinstance(target, list) else target[part]
    return target


def _valid_date(text: str | None) -> bool:
    try:
        _dt.date.fromisoformat(text or "")
    except ValueError:
        return False
    return True


def cite_scheme(group: dict[str, Any], scheme: SchemeInfo) -> None:
    """Write the vocabulary's own thesaurus citation into a keyword group (in place).

    ``scheme_name`` becomes the vocabulary's title (English, else untagged, else any language)
    when the vocabulary has one; a vocabulary without title keeps the producer's name (its
    short name only when there is none). A keyword group (one with ``terms``) also gets the
    vocabulary's date, with ``scheme_date_type`` ``revision`` for a modification date (ISO
    ``CI_DateTypeCode``; absent means ``publication``); without a date in the vocabulary the
    producer's date stays.
    """
    title = pick_label(scheme.title, "en")
    if title:
        group["scheme_name"] = title
    elif not group.get("scheme_name"):
        group["scheme_name"] = scheme.name
    if "terms" not in group:
        return
    citation = scheme.citation()
    if _valid_date(citation["date"]):
        group["scheme_date"] = citation["date"]
        if citation["date_type"] == "publication":
            group.pop("scheme_date_type", None)
        else:
            group["scheme_date_type"] = citation["date_type"]


def refresh_keywords(keywords: list[dict[str, Any]], index: VocabularyIndex) -> list[dict[str, Any]]:
    """A copy of ``keywords`` brought up to date with the loaded vocabularies.

    * labels that are not the vocabulary's current preferred label are replaced by it (in the
      term's language); a hierarchy path ending in the current label is kept as written;
    * terms found by label without URI get the concept's URI;
    * each group of a loaded vocabulary gets the vocabulary's citation (:func:`cite_scheme`).

    Unknown terms, unknown vocabularies and free keywords are left as they are.
    """
    result = copy.deepcopy(keywords)
    for finding in check_keywords(keywords, index):
        if finding.code not in (LABEL_REFRESHED, URI_FOUND):
            continue
        target = _at(result, finding.path)
        if finding.label:
            target["term"] = finding.label
        if finding.concept_uri:
            target.setdefault("value_uri", finding.concept_uri)
    for group in result:
        uri = (group.get("scheme_uri") or "").strip()
        scheme = index.scheme(uri) if uri else None
        if scheme is not None:
            cite_scheme(group, scheme)
    return result
