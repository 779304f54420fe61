"""Server-side parts of the deposit form's field widgets (templates in ``templates/deposit/widgets``,
scripts in ``static/js``): the licence picker's options and the access levels' meanings.

Presentation only: which licence ids exist and whether one is deprecated is read from the SPDX
list and the bundled licence vocabulary (``vocabularies``); the rules stay in ``schemas``.
"""

from __future__ import annotations

from functools import cache

from flask import Blueprint
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from schemas.metadata import INSPIRE_CONDITIONS_VOCABULARY, INSPIRE_LIMITATIONS_VOCABULARY, NO_LIMITATIONS_URI
from vocabularies import controlled
from vocabularies.bundled import load_bundled_vocabulary

#: The access levels' names in the interface.
ACCESS_LEVEL_LABELS = {
    "open": _l("Open"),
    "embargoed": _l("Embargoed"),
    "restricted": _l("Restricted"),
    "metadata_only": _l("Metadata only"),
}

#: What each access level (schemas.metadata.ACCESS_LEVELS) means for downloads, as
#: app.services.files.files_readable applies it.
ACCESS_LEVEL_MEANINGS = {
    "open": _l("Open: once the dataset is published, anyone can download its files."),
    "embargoed": _l(
        "Embargoed: the description is public once published; anyone can download the files from "
        "the date given in “Embargo until”, before it only you and the moderators can."
    ),
    "restricted": _l(
        "Restricted: the description is public once published; the files are never downloadable "
        "by the public, only by you, the moderators and the administrators (give the conditions "
        "of access in “Limitations on public access”)."
    ),
    "metadata_only": _l(
        "Metadata only: only the description is published; this repository distributes no files "
        "(link to where the data are in “Online resources”)."
    ),
}


@cache
def _bundled() -> tuple[tuple[str, dict[str, str]], ...]:
    vocab = load_bundled_vocabulary("licences")
    return tuple((c.notation or c.uri.rsplit("/", 1)[-1], dict(c.pref_labels)) for c in vocab.concepts)


@cache
def _all_spdx() -> tuple[tuple[str, str], ...]:
    return tuple(controlled.spdx_current_licenses())


def licence_options() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(the bundled licences, in the interface language; every other current SPDX licence)."""
    lang = str(get_locale() or "en")[:2]
    bundled = [(i, labels.get(lang) or labels.get("en") or i) for i, labels in _bundled()]
    ids = {i for i, _ in bundled}
    return bundled, [(i, name) for i, name in _all_spdx() if i not in ids]


@cache
def _limitations() -> tuple[tuple[str, dict[str, str]], ...]:
    vocab = load_bundled_vocabulary(INSPIRE_LIMITATIONS_VOCABULARY)
    # "No limitations" first, then the grounds of Article 13(1) in their order (a, b, … h).
    concepts = sorted(vocab.concepts, key=lambda c: (c.uri != NO_LIMITATIONS_URI, c.uri))
    return tuple((c.uri, dict(c.pref_labels)) for c in concepts)


def limitation_options() -> list[tuple[str, str]]:
    """(URI, label in the interface language) of the INSPIRE limitations on public access."""
    lang = str(get_locale() or "en")[:2]
    return [(uri, labels.get(lang) or labels.get("en") or uri) for uri, labels in _limitations()]


@cache
def _conditions() -> tuple[tuple[str, dict[str, str]], ...]:
    vocab = load_bundled_vocabulary(INSPIRE_CONDITIONS_VOCABULARY)
    # "No conditions apply" first, then "conditions unknown".
    concepts = sorted(vocab.concepts, key=lambda c: (not c.uri.endswith("/noConditionsApply"), c.uri))
    return tuple((c.uri, dict(c.pref_labels)) for c in concepts)


def condition_options() -> list[tuple[str, str]]:
    """(URI, label in the interface language) of the INSPIRE conditions applying to access and use."""
    lang = str(get_locale() or "en")[:2]
    return [(uri, labels.get(lang) or labels.get("en") or uri) for uri, labels in _conditions()]


#: Loaded vocabularies that are not keyword vocabularies (codes used by other fields): the
#: keyword finder does not search them.
NOT_KEYWORD_VOCABULARIES = (
    "datacite-resource-types",
    "datacite-contributor-types",
    "datacite-relation-types",
    "licences",
    "languages",
    "inspire-limitations",
    "inspire-conditions",
)


def init_blueprint(bp: Blueprint) -> None:
    bp.add_app_template_global(NOT_KEYWORD_VOCABULARIES, "keyword_vocabularies_excluded")
    bp.add_app_template_global(licence_options, "licence_options")
    bp.add_app_template_global(limitation_options, "limitation_options")
    bp.add_app_template_global(condition_options, "condition_options")
    bp.add_app_template_global(ACCESS_LEVEL_MEANINGS, "access_level_meanings")
    bp.add_app_template_global(ACCESS_LEVEL_LABELS, "access_level_labels")
