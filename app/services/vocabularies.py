"""Controlled vocabularies: import SKOS files, load the bundled ones, autocomplete and look up
terms, and check a record's keywords against them.

Parsing is done by ``vocabularies.skos`` (no database); this module stores the result. The
caller owns the transaction: an import only flushes, so a failure anywhere leaves the
database as it was once the caller rolls back (the CLI and tests use ``with new_session()``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Text, case, cast, delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import VocabularyConcept, VocabularyLabel, VocabularyScheme
from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound, field_error
from curation import Actor
from vocabularies import lookup
from vocabularies.bundled import bundled_vocabularies
from vocabularies.lookup import ConceptInfo, KeywordFinding, SchemeInfo, normalise, pick_label
from vocabularies.skos import Concept, SkosError, Vocabulary, parse_skos

Progress = Callable[[int, int], None]

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_CHUNK = 500
_KEY_LENGTH = 200
# Past the last code point: "abc" <= key < "abc\U0010ffff" is "key starts with abc" in byte
# order (SQLite BINARY, PostgreSQL "C" collation).
_TOP = "\U0010ffff"


@dataclass
class ImportResult:
    """What an import changed."""

    scheme: VocabularyScheme
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deprecated: int = 0

    def summary(self) -> str:
        return (
            f"{self.scheme.name} ({self.scheme.uri}): {self.created} new, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.deprecated} newly deprecated; {self.scheme.concept_count} concepts"
        )


def _require_admin(actor: Actor) -> None:
    if not (actor.is_admin or actor.system):
        raise Forbidden("only an administrator may load vocabularies")


def _name_from(name: str | None, uri: str) -> str:
    if name:
        slug = name.strip().lower()
        if not _NAME.match(slug):
            raise field_error("/name", "must be 1-64 lowercase letters, digits, '.', '_' or '-'")
        return slug
    tail = [p for p in re.split(r"[/#:]+", uri) if p][-1] if uri else "vocabulary"
    return re.sub(r"[^a-z0-9._-]+", "-", tail.lower()).strip("-")[:64] or "vocabulary"


# --- import -----------------------------------------------------------------------------------


def _paths(concepts: dict[str, Concept]) -> dict[str, list[dict[str, Any]]]:
    """Ancestors of each concept, top first, following the first live broader concept (by URI)
    that is in the same file; cycles are cut."""
    cache: dict[str, list[dict[str, Any]]] = {}

    def parent(c: Concept) -> Concept | None:
        candidates = [concepts[u] for u in c.broader if u in concepts]
        candidates.sort(key=lambda p: (p.deprecated, p.uri))
        return candidates[0] if candidates else None

    for uri, concept in concepts.items():
        chain: list[Concept] = []
        seen = {uri}
        current = parent(concept)
        while current is not None and current.uri not in seen and len(chain) < 30:
            if current.uri in cache:
                chain.extend(reversed([concepts[p["uri"]] for p in cache[current.uri]] + [current]))
                break
            chain.append(current)
            seen.add(current.uri)
            current = parent(current)
        cache[uri] = [{"uri": c.uri, "labels": c.pref_labels} for c in reversed(chain)]
    return cache


def _label_rows(
    scheme_id: int, concept_id: int, c: VocabularyConcept | dict[str, Any]
) -> list[dict[str, Any]]:
    get = c.get if isinstance(c, dict) else lambda k: getattr(c, k)
    best: dict[tuple[str, str], dict[str, Any]] = {}
    labels = [(lang, text, 0) for lang, text in get("pref_labels").items()]
    labels += [(lang, text, 1) for lang, texts in get("alt_labels").items() for text in texts]
    if get("notation"):
        labels.append(("", get("notation"), 1))
    for lang, text, base in labels:
        words = normalise(text).split(" ")
        for i in range(len(words)):
            key = " ".join(words[i:])[:_KEY_LENGTH]
            if not key:
                continue
            rank = base + (2 if i else 0)
            known = best.get((lang, key))
            if known is None or rank < known["rank"]:
                best[(lang, key)] = {
                    "scheme_id": scheme_id,
                    "concept_id": concept_id,
                    "lang": lang[:16],
                    "label": text[:1000],
                    "key": key,
                    "rank": rank,
                    "deprecated": get("deprecated"),
                }
    return list(best.values())


def _store(
    session: Session, vocab: Vocabulary, name: str | None, source: str, progress: Progress | None
) -> ImportResult:
    scheme_uri = vocab.scheme.uri
    scheme = session.scalar(select(VocabularyScheme).where(VocabularyScheme.uri == scheme_uri))
    wanted = _name_from(name, scheme_uri) if (name or scheme is None) else scheme.name
    clash = session.scalar(select(VocabularyScheme).where(VocabularyScheme.name == wanted))
    if clash is not None and clash is not scheme:
        raise Conflict(
            f"another vocabulary is already called {wanted!r} ({clash.uri}); choose another --name"
        )
    if scheme is None:
        scheme = VocabularyScheme(uri=scheme_uri)
        session.add(scheme)
    scheme.name = wanted
    scheme.title = vocab.scheme.title
    scheme.version = vocab.scheme.version
    scheme.issued = vocab.scheme.issued
    scheme.modified = vocab.scheme.modified
    scheme.source = source[:500]
    scheme.imported_at = utcnow()
    session.flush()

    fields = (
        "notation",
        "pref_labels",
        "alt_labels",
        "definitions",
        "broader",
        "deprecated",
        "replaced_by",
        "path",
    )
    existing = {
        row.uri: row
        for row in session.execute(
            select(
                VocabularyConcept.id, VocabularyConcept.uri, *(getattr(VocabularyConcept, f) for f in fields)
            ).where(VocabularyConcept.scheme_id == scheme.id)
        )
    }
    by_uri = vocab.by_uri()
    paths = _paths(by_uri)
    now = utcnow()
    result = ImportResult(scheme)
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    for c in vocab.concepts:
        values = {
            "notation": c.notation[:200] if c.notation else None,
            "pref_labels": c.pref_labels,
            "alt_labels": c.alt_labels,
            "definitions": c.definitions,
            "broader": c.broader,
            "deprecated": c.deprecated,
            "replaced_by": c.replaced_by,
            "path": paths[c.uri],
        }
        old = existing.get(c.uri)
        if old is None:
            new_rows.append({"scheme_id": scheme.id, "uri": c.uri, "updated_at": now, **values})
        elif any(getattr(old, f) != values[f] for f in fields):
            changed_rows.append({"id": old.id, "updated_at": now, **values})
        else:
            result.unchanged += 1
    # Concepts that left the vocabulary are kept (records cite them) but marked deprecated.
    gone = [
        {"id": row.id, "deprecated": True, "updated_at": now}
        for uri, row in existing.items()
        if uri not in by_uri and not row.deprecated
    ]
    result.created, result.updated, result.deprecated = len(new_rows), len(changed_rows), len(gone)

    total = len(new_rows) + len(changed_rows) + len(gone)
    done = 0
    # Separate statements: a bulk UPDATE by primary key wants the same keys in every row.
    batches = (
        (new_rows, insert(VocabularyConcept)),
        (changed_rows, update(VocabularyConcept)),
        (gone, update(VocabularyConcept)),
    )
    for rows, statement in batches:
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            session.execute(statement, chunk)
            done += len(chunk)
            if progress:
                progress(done, total)

    # The label index is derived data: rebuild it for the whole scheme.
    session.execute(delete(VocabularyLabel).where(VocabularyLabel.scheme_id == scheme.id))
    label_rows: list[dict[str, Any]] = []
    count = 0
    for concept in session.scalars(select(VocabularyConcept).where(VocabularyConcept.scheme_id == scheme.id)):
        count += 1
        label_rows.extend(_label_rows(scheme.id, concept.id, concept))
    for start in range(0, len(label_rows), 2000):
        session.execute(insert(VocabularyLabel), label_rows[start : start + 2000])
    scheme.concept_count = count
    session.flush()
    return result


def import_vocabulary(
    session: Session,
    actor: Actor,
    path: str | Path,
    scheme_uri: str,
    name: str | None = None,
    progress: Progress | None = None,
    *,
    fmt: str | None = None,
) -> ImportResult:
    """Import (or re-import) the SKOS file ``path`` as the vocabulary ``scheme_uri``.

    Administrators only. Re-importing updates changed concepts, adds new ones and marks the
    ones no longer in the file deprecated (never deletes them). ``name`` is the short name
    used in API URLs (default: kept, or derived from the URI). ``progress(done, total)`` is
    called as concepts are written. Flushes; the caller commits (or rolls back on error).
    """
    _require_admin(actor)
    if not (scheme_uri or "").strip():
        raise field_error("/scheme_uri", "is required")
    try:
        vocab = parse_skos(path, scheme_uri.strip(), fmt)
    except SkosError as exc:
        raise InvalidInput(str(exc)) from None
    return _store(session, vocab, name, Path(path).name, progress)


def load_bundled(session: Session, actor: Actor) -> list[ImportResult]:
    """Load (or refresh) every vocabulary shipped in ``vocabularies/data/bundled/``."""
    _require_admin(actor)
    return [
        _store(session, vocab, item.name, f"bundled:{item.filename}", None)
        for item, vocab in bundled_vocabularies()
    ]


# --- reading ----------------------------------------------------------------------------------


def list_schemes(session: Session) -> list[VocabularyScheme]:
    """Every loaded vocabulary, by name."""
    return list(session.scalars(select(VocabularyScheme).order_by(VocabularyScheme.name)))


def get_scheme(session: Session, name: str) -> VocabularyScheme:
    """The vocabulary called ``name`` (or with that URI); NotFound otherwise."""
    scheme = session.scalar(select(VocabularyScheme).where(VocabularyScheme.name == name))
    scheme = scheme or session.scalar(select(VocabularyScheme).where(VocabularyScheme.uri == name))
    if scheme is None:
        raise NotFound(f"no vocabulary called {name!r}; GET /api/vocabularies lists them")
    return scheme


@dataclass
class TermPage:
    scheme: VocabularyScheme
    hits: list[VocabularyConcept]
    total: int


def search_terms(
    session: Session,
    scheme_name: str,
    q: str,
    lang: str | None = None,
    include_deprecated: bool = False,
    limit: int = 10,
) -> TermPage:
    """Autocomplete: concepts with a preferred or alternative label (any language), or a
    notation, that starts with ``q`` or has a word starting with ``q`` (case and accents
    ignored). Label starts rank before word starts, preferred before alternative labels,
    labels in ``lang`` first, then shorter labels. An empty ``q`` lists the concepts."""
    scheme = get_scheme(session, scheme_name)
    key = normalise(q or "")[:_KEY_LENGTH]
    C = VocabularyConcept
    if not key:
        where = [C.scheme_id == scheme.id]
        if not include_deprecated:
            where.append(C.deprecated.is_(False))
        rows = session.execute(
            select(C, func.count().over().label("total"))
            .where(*where)
            .order_by(C.notation, C.id)
            .limit(limit)
        ).all()
        return TermPage(scheme, [r[0] for r in rows], rows[0].total if rows else 0)

    L = VocabularyLabel
    where = [L.scheme_id == scheme.id, L.key >= key, L.key < key + _TOP]
    if not include_deprecated:
        where.append(L.deprecated.is_(False))
    score = func.min(L.rank * 2 + case((L.lang == (lang or "en"), 0), else_=1)).label("score")
    shortest = func.min(func.length(L.label)).label("shortest")
    # One round trip: rank the matching concepts, count them with a window over the groups
    # (evaluated before LIMIT), and join the concept rows. Autocomplete latency on PostgreSQL
    # is mostly round trips.
    ranked = (
        select(L.concept_id, score, shortest, func.count().over().label("total"))
        .where(*where)
        .group_by(L.concept_id)
        .order_by(score, shortest, L.concept_id)
        .limit(limit)
        .subquery()
    )
    rows = session.execute(
        select(C, ranked.c.total)
        .join(ranked, C.id == ranked.c.concept_id)
        .order_by(ranked.c.score, ranked.c.shortest, ranked.c.concept_id)
    ).all()
    return TermPage(scheme, [r[0] for r in rows], rows[0].total if rows else 0)


_MERGED_SLASHES = re.compile(r"^(https?):/(?!/)")


def get_term(session: Session, scheme_name: str, term_id: str) -> VocabularyConcept:
    """A concept by notation, by URI, or by the last segment of its URI (GCMD UUIDs)."""
    scheme = get_scheme(session, scheme_name)
    C = VocabularyConcept
    term_id = (term_id or "").strip()
    # Routers and proxies merge the "//" of a URI given in the path: restore it.
    uri = _MERGED_SLASHES.sub(r"\1://", term_id)
    for condition in (C.notation == term_id, C.uri == term_id, C.uri == uri):
        concept = session.scalars(select(C).where(C.scheme_id == scheme.id, condition).order_by(C.id)).first()
        if concept is not None:
            return concept
    if term_id and "/" not in term_id:
        tails = session.scalars(
            select(C)
            .where(
                C.scheme_id == scheme.id,
                C.uri.like("%/" + term_id.replace("%", "").replace("_", "\\_"), escape="\\"),
            )
            .limit(2)
        ).all()
        if len(tails) == 1:
            return tails[0]
    raise NotFound(f"no term {term_id!r} in the vocabulary {scheme.name!r}")


def term_json(
    session: Session,
    scheme: VocabularyScheme,
    concept: VocabularyConcept,
    lang: str | None,
    *,
    details: bool = False,
) -> dict[str, Any]:
    """The API representation of a concept, labelled in ``lang`` (falling back to English)."""
    labels = concept.pref_labels or {}
    label = pick_label(labels, lang) or concept.notation or concept.uri
    alt = (concept.alt_labels or {}).get(lang or "en", []) + (concept.alt_labels or {}).get("", [])
    broader = [{"uri": p["uri"], "label": pick_label(p["labels"], lang)} for p in concept.path or []]
    replaced = []
    for uri in concept.replaced_by or []:
        new = session.scalar(
            select(VocabularyConcept).where(
                VocabularyConcept.scheme_id == scheme.id, VocabularyConcept.uri == uri
            )
        )
        replaced.append({"uri": uri, "label": pick_label(new.pref_labels, lang) if new else None})
    out: dict[str, Any] = {
        "id": concept.uri,
        "uri": concept.uri,
        "notation": concept.notation,
        "label": label,
        "alt_labels": alt,
        "broader": broader,
        "path": " > ".join([b["label"] or b["uri"] for b in broader] + [label]),
        "deprecated": concept.deprecated,
        "replaced_by": replaced,
        "scheme": {"id": scheme.name, "uri": scheme.uri},
    }
    if details:
        out.update(
            {
                "labels": labels,
                "all_alt_labels": concept.alt_labels or {},
                "definition": pick_label(concept.definitions or {}, lang),
                "definitions": concept.definitions or {},
                "broader_uris": concept.broader or [],
                "narrower": [
                    {"uri": c.uri, "label": pick_label(c.pref_labels, lang)}
                    for c in _narrower(session, scheme, concept)
                ],
            }
        )
    return out


def _narrower(
    session: Session, scheme: VocabularyScheme, concept: VocabularyConcept
) -> list[VocabularyConcept]:
    # The JSON list of broader URIs, read as text, contains the quoted URI: portable across
    # SQLite (JSON text) and PostgreSQL (jsonb::text) without JSON operators.
    needle = '%"' + concept.uri.replace("\\", "").replace("%", "\\%").replace("_", "\\_") + '"%'
    return list(
        session.scalars(
            select(VocabularyConcept)
            .where(
                VocabularyConcept.scheme_id == scheme.id,
                VocabularyConcept.deprecated.is_(False),
                cast(VocabularyConcept.broader, Text).like(needle, escape="\\"),
            )
            .order_by(VocabularyConcept.id)
        )
    )


def scheme_json(scheme: VocabularyScheme, lang: str | None = None) -> dict[str, Any]:
    """The API representation of a vocabulary, with its thesaurus citation."""
    info = scheme_info(scheme)
    return {
        "id": scheme.name,
        "uri": scheme.uri,
        "title": pick_label(scheme.title or {}, lang) or scheme.name,
        "titles": scheme.title or {},
        "version": scheme.version,
        "issued": scheme.issued,
        "modified": scheme.modified,
        "source": scheme.source,
        "concept_count": scheme.concept_count,
        "imported": scheme.imported_at.isoformat() if scheme.imported_at else None,
        "citation": info.citation(lang),
    }


# --- validation -------------------------------------------------------------------------------


def scheme_info(scheme: VocabularyScheme) -> SchemeInfo:
    return SchemeInfo(
        scheme.uri, scheme.name, dict(scheme.title or {}), scheme.version, scheme.issued, scheme.modified
    )


def _concept_info(scheme_uri: str, c: VocabularyConcept) -> ConceptInfo:
    return ConceptInfo(
        c.uri,
        scheme_uri,
        c.notation,
        dict(c.pref_labels or {}),
        dict(c.alt_labels or {}),
        c.deprecated,
        tuple(c.replaced_by or ()),
    )


class DatabaseIndex:
    """The :class:`vocabularies.lookup.VocabularyIndex` over the loaded vocabularies."""

    def __init__(self, session: Session):
        self.session = session
        self._schemes: dict[str, VocabularyScheme | None] = {}

    def _scheme(self, uri: str) -> VocabularyScheme | None:
        if uri not in self._schemes:
            self._schemes[uri] = self.session.scalar(
                select(VocabularyScheme).where(VocabularyScheme.uri == uri)
            )
        return self._schemes[uri]

    def scheme(self, uri: str) -> SchemeInfo | None:
        scheme = self._scheme(uri)
        return scheme_info(scheme) if scheme else None

    def concept(self, scheme_uri: str, concept_uri: str) -> ConceptInfo | None:
        scheme = self._scheme(scheme_uri)
        if scheme is None:
            return None
        c = self.session.scalar(
            select(VocabularyConcept).where(
                VocabularyConcept.scheme_id == scheme.id, VocabularyConcept.uri == concept_uri
            )
        )
        return _concept_info(scheme_uri, c) if c else None

    def concept_by_label(self, scheme_uri: str, label: str) -> ConceptInfo | None:
        scheme = self._scheme(scheme_uri)
        key = normalise(label)[:_KEY_LENGTH]
        if scheme is None or not key:
            return None
        L = VocabularyLabel
        concept_id = self.session.scalar(
            select(L.concept_id)
            .where(L.scheme_id == scheme.id, L.key == key, L.rank < 2)
            .order_by(L.deprecated, L.rank, L.concept_id)
            .limit(1)
        )
        c = self.session.get(VocabularyConcept, concept_id) if concept_id else None
        return _concept_info(scheme_uri, c) if c else None


def check_keywords(session: Session, keywords: Iterable[dict[str, Any]]) -> list[KeywordFinding]:
    """Check a record's keyword groups against the loaded vocabularies (see
    :func:`vocabularies.lookup.check_keywords`)."""
    return lookup.check_keywords(keywords, DatabaseIndex(session))
