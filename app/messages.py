"""Messages of the schemas and services, translated at the edge.

``schemas/``, ``curation/`` and the services speak plain English (they know nothing of Flask or
of the interface language); their messages are a small, stable set of sentences, some with
values in them (``'abc' is not a date (expected …)``). This module is the catalogue of those
sentences: each is an English pattern (a regular expression whose named groups are the values)
and the translatable template it becomes (``_l`` with the same names), so pybabel extracts them
like any other interface string and French translates them in ``messages.po``.

A message the catalogue does not know is shown as it is (English), never dropped. The REST API
keeps the English ``messages`` as its contract and adds ``localized`` in the negotiated language
(``app/errors.py``); the pages show the localized text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

_V = r"(?P<value>'.*'|\".*\"|\S+)"

#: (English pattern, translation). Exact sentences first, then sentences with values.
_CATALOGUE: list[tuple[str, object]] = [
    ("is required", _l("is required")),
    ("is required to submit", _l("is required to submit")),
    ("must not be null", _l("must not be empty")),
    ("is not valid", _l("is not valid")),
    ("must be a text string", _l("must be a text string")),
    ("must be a whole number", _l("must be a whole number")),
    ("must be a number", _l("must be a number")),
    ("must be a number (e.g. 45.5)", _l("must be a number (e.g. 45.5)")),
    ("must be JSON", _l("must be JSON")),
    ("must be a finite number", _l("must be a finite number")),
    ("is too large", _l("is too large")),
    ("must be true or false", _l("must be true or false")),
    ("must be a list", _l("must be a list")),
    ("must be an object", _l("must be an object")),
    ("is not a known field", _l("is not a known field")),
    ("must be a latitude between -90 and 90", _l("must be a latitude between -90 and 90")),
    ("must be a longitude between -180 and 180", _l("must be a longitude between -180 and 180")),
    ("needs at least one of place, bbox, polygon or point", _l("give a place name, a bounding box, a polygon or a point")),
    ("give either distance or scale_denominator (exactly one)", _l("give either a distance or a scale denominator (exactly one)")),
    ("give either file or url (exactly one)", _l("give either a file or a URL (exactly one)")),
    ("give an SPDX licence id, or a name for another licence", _l("give an SPDX licence identifier, or a name for another licence")),
    ("is required when access_level is embargoed", _l("is required when the access level is embargoed")),
    ("give a text, or choose an INSPIRE limitation", _l("give a text, or choose an INSPIRE limitation")),
    ("give a text, or choose an INSPIRE condition", _l("give a text, or choose an INSPIRE condition")),
    ("is only used with distance", _l("is only used with a distance")),
    ("is only used with funder_identifier", _l("is only used with a funder identifier")),
    ("choose the community to submit to", _l("choose the community to submit to")),
    ("choose an XML file to import", _l("choose an XML file to import")),
    ("choose a file to upload", _l("choose a file to upload")),
    ("choose one of your own datasets as a template", _l("choose one of your own datasets as a template")),
    ("must be a GeoJSON Polygon object", _l("must be a GeoJSON Polygon object")),
    (
        r"south latitude (?P<south>\S+) is greater than north latitude (?P<north>\S+)",
        _l("south latitude %(south)s is greater than north latitude %(north)s"),
    ),
    (
        r"is before the start \((?P<end>.+) is earlier than (?P<start>.+)\)",
        _l("is before the start (%(end)s is earlier than %(start)s)"),
    ),
    (
        r"is only allowed when access_level is embargoed \(not (?P<level>.+)\)",
        _l("is only allowed when the access level is embargoed (not %(level)s)"),
    ),
    (
        r"“no limitations to public access” contradicts access_level (?P<level>.+)",
        _l("“no limitations to public access” contradicts the access level %(level)s"),
    ),
    (
        _V + r" is not a value of the INSPIRE code list LimitationsOnPublicAccess",
        _l("%(value)s is not a value of the INSPIRE code list of limitations on public access"),
    ),
    (
        _V + r" is not a value of the INSPIRE code list ConditionsApplyingToAccessAndUse",
        _l("%(value)s is not a value of the INSPIRE code list of conditions applying to access and use"),
    ),
    (_V + r" is not (?P<label>.+); use one of: (?P<allowed>.+)", _l("%(value)s is not %(label)s; use one of: %(allowed)s")),
    (_V + r" is not a date \(expected (?P<expected>.+)\)", _l("%(value)s is not a date (expected %(expected)s)")),
    (_V + r" is not a real date: (?P<why>.+)", _l("%(value)s is not a real date: %(why)s")),
    (_V + r" must be a full date YYYY-MM-DD", _l("%(value)s must be a full date YYYY-MM-DD")),
    (_V + r" must be a date YYYY-MM-DD", _l("%(value)s must be a date YYYY-MM-DD")),
    (
        _V + r" is an interval; a single date is expected here \((?P<expected>.+)\)",
        _l("%(value)s is an interval; a single date is expected here (%(expected)s)"),
    ),
    (
        _V + r" is open at both ends; give at least a start or an end",
        _l("%(value)s is open at both ends; give at least a start or an end"),
    ),
    (
        _V + r" starts after it ends \((?P<start>.+) is later than (?P<end>.+)\)",
        _l("%(value)s starts after it ends (%(start)s is later than %(end)s)"),
    ),
    (_V + r" is not an e-mail address \(expected name@example.org\)", _l("%(value)s is not an e-mail address (expected name@example.org)")),
    (
        _V + r" is not a URI \(expected e.g. https://example.org/x or urn:x:y\)",
        _l("%(value)s is not a URI (expected e.g. https://example.org/x or urn:x:y)"),
    ),
    (
        _V + r" is not a URL \(expected http:// or https:// and a host name\)",
        _l("%(value)s is not a URL (expected http:// or https:// and a host name)"),
    ),
    (
        _V + r" is not a URL \(expected http://, https:// or ftp:// and a host name\)",
        _l("%(value)s is not a URL (expected http://, https:// or ftp:// and a host name)"),
    ),
    (
        _V + r" is not an EPSG code \(expected EPSG:<number>, e.g. EPSG:4326\)",
        _l("%(value)s is not an EPSG code (expected EPSG:<number>, e.g. EPSG:4326)"),
    ),
    (
        _V + r" is not a language tag \(expected e.g. fr, en, fr-CA or eng\)",
        _l("%(value)s is not a language tag (expected e.g. fr, en, fr-CA or eng)"),
    ),
    (_V + r" is not an ISO 639 language code", _l("%(value)s is not an ISO 639 language code")),
    ("must be 1 to 255 characters long", _l("must be 1 to 255 characters long")),
    (
        _V + r" is not a valid file name \(relative path, no empty, '\.' or '\.\.' parts\)",
        _l("%(value)s is not a valid file name (a relative path, without empty, '.' or '..' parts)"),
    ),
    (
        r"the draft already has a file named (?P<value>.+); delete it first",
        _l("the draft already has a file named %(value)s; delete it first"),
    ),
    (r"record (?P<record>\S+) has no file (?P<value>.+)", _l("record %(record)s has no file %(value)s")),
    (r"ORCID (?P<value>\S+) has a wrong check digit", _l("ORCID %(value)s has a wrong check digit")),
    (r"ROR id (?P<value>\S+) has a wrong checksum", _l("ROR identifier %(value)s has a wrong checksum")),
    (r"ISNI (?P<value>.+) has a wrong check digit", _l("ISNI %(value)s has a wrong check digit")),
    (_V + r" is not an SPDX licence id \(see spdx.org/licenses\)", _l("%(value)s is not an SPDX licence identifier (see spdx.org/licenses)")),
]  # fmt: skip

_COMPILED = [
    (re.compile(pattern if "(?P<" in pattern else re.escape(pattern)), text) for pattern, text in _CATALOGUE
]


def translate(message: str) -> str:
    """``message`` in the interface language when the catalogue knows it, else unchanged."""
    for pattern, text in _COMPILED:
        match = pattern.fullmatch(message)
        if match:
            return str(text) % match.groupdict() if match.groupdict() else str(text)
    return message


def translate_all(messages: Iterable[str]) -> list[str]:
    return [translate(m) for m in messages]
