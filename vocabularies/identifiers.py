"""Validation and normalisation of persistent identifiers.

Each ``normalize_x(value)`` returns the canonical string form used inside Alluvium records and
raises ``ValueError`` with a sentence a depositor can act on. Canonical forms:

========  ==========================================  ==============================================
scheme    canonical form                              rule
========  ==========================================  ==============================================
ORCID     ``0000-0002-1825-0097``                     16 chars, last is ISO 7064 MOD 11-2 check
ISNI      ``0000000121032683``                        ISO 27729: same MOD 11-2 check as ORCID
ROR       ``https://ror.org/02feahw73``               ``0`` + 6 Crockford base32 + 2-digit checksum
DOI       ``10.5281/zenodo.123`` (lower case)         ISO 26324 / DOI Handbook 2.2: case-insensitive
Handle    ``20.500.12345/abc``                        RFC 3650 ``prefix/suffix``
ARK       ``ark:/12148/btv1b8449691v``                ARK spec (NAAN of 5 betanumeric characters)
IGSN      ``AU1243`` (legacy) or a DOI (since 2021)   IGSN e.V. syntax; new IGSNs are DataCite DOIs
URL       ``https://host/path``                       RFC 3986 absolute http(s) URI
RAiD      ``https://raid.org/10.82841/0a1b2c3d``      RAiD 2.0 (ISO 23527): a DOI-form handle under raid.org
SWHID     ``swh:1:dir:<40 hex>[;qualifiers]``         SWHID 1.x: ``swh:1:`` + cnt/dir/rev/rel/snp + SHA-1
========  ==========================================  ==============================================

Scheme names follow DataCite spelling (``relatedIdentifierType`` / ``nameIdentifierScheme``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

# --- ISO 7064 MOD 11-2 (ORCID, ISNI) ----------------------------------------------------------


def iso7064_mod11_2(digits: str) -> str:
    """Check character for a string of digits by ISO/IEC 7064 MOD 11-2 ("0"-"9" or "X").

    This is the algorithm ORCID documents ("Structure of the ORCID Identifier") and ISNI uses.
    """
    total = 0
    for ch in digits:
        total = (total + int(ch)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


_ORCID_PREFIX = re.compile(r"^(?:https?://(?:www\.|sandbox\.)?orcid\.org/|orcid\.org/|orcid:\s*)", re.I)
_ORCID_BODY = re.compile(r"^(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dXx])$")


def normalize_orcid(value: str) -> str:
    """Normalise an ORCID iD (bare, ``orcid:`` or ``https://orcid.org/`` form) to ``XXXX-XXXX-XXXX-XXXX``.

    Raises ``ValueError`` when the syntax is wrong or the check digit does not match.
    """
    text = _ORCID_PREFIX.sub("", value.strip())
    match = _ORCID_BODY.match(text)
    if not match:
        raise ValueError(
            f"{value.strip()!r} is not an ORCID iD (expected 16 digits in four groups, "
            "e.g. 0000-0002-1825-0097)"
        )
    orcid = "-".join(match.groups()).upper()
    digits = orcid.replace("-", "")
    if iso7064_mod11_2(digits[:15]) != digits[15]:
        raise ValueError(f"ORCID {orcid} has a wrong check digit")
    return orcid


_ISNI_PREFIX = re.compile(r"^(?:https?://(?:www\.)?isni\.org/(?:isni/)?|isni:\s*)", re.I)


def normalize_isni(value: str) -> str:
    """Normalise an ISNI (ISO 27729) to 16 characters without spaces; checks the MOD 11-2 digit."""
    text = re.sub(r"[\s-]", "", _ISNI_PREFIX.sub("", value.strip())).upper()
    if not re.fullmatch(r"\d{15}[\dX]", text):
        raise ValueError(f"{value.strip()!r} is not an ISNI (expected 16 digits, e.g. 0000 0001 2103 2683)")
    if iso7064_mod11_2(text[:15]) != text[15]:
        raise ValueError(f"ISNI {text} has a wrong check digit")
    return text


# --- ROR --------------------------------------------------------------------------------------

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_ROR_PREFIX = re.compile(r"^(?:https?://(?:www\.)?ror\.org/|ror\.org/|ror:\s*)", re.I)
_ROR_BODY = re.compile(r"^0([0-9a-hjkmnp-tv-z]{6})(\d{2})$")


def ror_checksum(body: str) -> str:
    """Two-digit checksum of the 6 base32 characters of a ROR id.

    ROR ids are ``0`` + a Crockford base32 number n (6 chars) + ``98 - (n * 100 mod 97)``
    (ISO 7064 MOD 97-10, as in the ROR registry's id generator and DataCite base32-url).
    """
    n = 0
    for ch in body:
        n = n * 32 + _CROCKFORD.index(ch)
    return f"{98 - (n * 100) % 97:02d}"


def normalize_ror(value: str) -> str:
    """Normalise a ROR id (bare or URL form) to ``https://ror.org/0xxxxxxNN``; checks the checksum."""
    text = _ROR_PREFIX.sub("", value.strip()).lower()
    match = _ROR_BODY.match(text)
    if not match:
        raise ValueError(
            f"{value.strip()!r} is not a ROR id (expected https://ror.org/ followed by 0, "
            "6 letters or digits and 2 check digits, e.g. https://ror.org/02feahw73)"
        )
    body, check = match.groups()
    ror = f"https://ror.org/0{body}{check}"
    if ror_checksum(body) != check:
        raise ValueError(f"ROR id {ror} has a wrong checksum")
    return ror


# --- DOI, Handle, ARK, IGSN -------------------------------------------------------------------

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi\.org/|doi:\s*)", re.I)
# DOI Handbook 2.2: prefix "10." + registrant code (dot-separated digits), "/" + any printable suffix.
_DOI = re.compile(r"^10\.\d{4,9}(?:\.\d+)*/\S+$")


def normalize_doi(value: str) -> str:
    """Normalise a DOI (bare, ``doi:`` or resolver URL) to lower-case ``10.xxxx/suffix``.

    DOIs are case-insensitive (DOI Handbook 2.4), so lower case is the canonical comparison form.
    """
    text = _DOI_PREFIX.sub("", value.strip())
    if not _DOI.match(text):
        raise ValueError(
            f"{value.strip()!r} is not a DOI (expected 10.<prefix>/<suffix>, e.g. 10.5281/zenodo.1)"
        )
    return text.lower()


_HANDLE_PREFIX = re.compile(r"^(?:https?://hdl\.handle\.net/|hdl\.handle\.net/|hdl:\s*)", re.I)
_HANDLE = re.compile(r"^[0-9][0-9.]*/\S+$")


def normalize_handle(value: str) -> str:
    """Normalise a Handle (bare, ``hdl:`` or hdl.handle.net URL) to ``prefix/suffix`` (RFC 3650)."""
    text = _HANDLE_PREFIX.sub("", value.strip())
    if not _HANDLE.match(text):
        raise ValueError(
            f"{value.strip()!r} is not a Handle (expected <numeric prefix>/<suffix>, e.g. 20.500.1/x)"
        )
    if text.startswith("10."):
        # A DOI is a Handle, but we keep DOIs in their own scheme so that they are lower-cased.
        return normalize_doi(text)
    return text


_ARK = re.compile(r"^(?:https?://[^/]+/)?ark:/?([0-9bcdfghjkmnpqrstvwxz]{5})/(\S+)$", re.I)


def normalize_ark(value: str) -> str:
    """Normalise an ARK (``ark:/NAAN/name``, ``ark:NAAN/name`` or a resolver URL) to ``ark:/NAAN/name``."""
    match = _ARK.match(value.strip())
    if not match:
        raise ValueError(
            f"{value.strip()!r} is not an ARK (expected ark:/<NAAN>/<name>, e.g. ark:/12148/bpt6k1)"
        )
    naan, name = match.groups()
    return f"ark:/{naan.lower()}/{name}"


_IGSN_PREFIX = re.compile(
    r"^(?:https?://(?:igsn\.org|hdl\.handle\.net/10273)/|igsn\.org/|igsn:\s*|10273/)", re.I
)


def normalize_igsn(value: str) -> str:
    """Normalise an IGSN: DOI-form IGSNs (registered since 2021) as DOIs, legacy ones upper-cased."""
    text = value.strip()
    if _DOI_PREFIX.match(text) or text.startswith("10."):
        return normalize_doi(text)
    code = _IGSN_PREFIX.sub("", text).upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9.\-]{3,}", code):
        raise ValueError(f"{text!r} is not an IGSN (expected a DOI or a code such as IECUR0097)")
    return code


def normalize_url(value: str) -> str:
    """Check an absolute ``http``/``https`` URL (RFC 3986) with a host; returns it stripped."""
    text = value.strip()
    if any(c.isspace() for c in text):
        raise ValueError(f"{text!r} is not a URL (it contains spaces)")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{text!r} is not a URL (expected http:// or https:// and a host name)")
    return text


_RAID_PREFIX = re.compile(r"^(?:https?://(?:www\.)?raid\.org/|raid:\s*)", re.I)


def normalize_raid(value: str) -> str:
    """Normalise a RAiD (Research Activity Identifier, ISO 23527; RAiD 2.0 mints DOI-form handles,
    resolved at raid.org) to ``https://raid.org/10.xxxx/suffix`` (the form DataCite 4.7 examples use)."""
    text = value.strip()
    core = _RAID_PREFIX.sub("", text)
    if not _DOI.match(core):
        raise ValueError(f"{text!r} is not a RAiD (expected https://raid.org/10.<prefix>/<suffix>)")
    return f"https://raid.org/{core.lower()}"


_SWHID_PREFIX = re.compile(r"^https?://archive\.softwareheritage\.org/(?:browse/)?", re.I)
_SWHID = re.compile(r"^swh:1:(cnt|dir|rev|rel|snp):([0-9a-f]{40})((?:;[a-z]+=[^;\s]+)*)$", re.I)
_SWHID_QUALIFIERS = ("origin", "visit", "anchor", "path", "lines", "bytes")


def normalize_swhid(value: str) -> str:
    """Check a SoftWare Heritage persistent IDentifier (SWHID 1.x: ``swh:1:<type>:<sha1>`` with
    optional ``;key=value`` qualifiers); returns it with the core in lower case."""
    text = value.strip()
    match = _SWHID.match(_SWHID_PREFIX.sub("", text))
    if not match:
        raise ValueError(
            f"{text!r} is not a SWHID (expected swh:1:<cnt|dir|rev|rel|snp>:<40 hex digits>, e.g. "
            "swh:1:dir:d198bc9d7a6bcf6db04f476d29314f157507d505)"
        )
    kind, digest, qualifiers = match.groups()
    for qualifier in filter(None, qualifiers.split(";")):
        key = qualifier.split("=", 1)[0]
        if key not in _SWHID_QUALIFIERS:
            raise ValueError(
                f"{text!r}: unknown SWHID qualifier {key!r} (known: {', '.join(_SWHID_QUALIFIERS)})"
            )
    return f"swh:1:{kind.lower()}:{digest.lower()}{qualifiers}"


# --- dispatch ---------------------------------------------------------------------------------

NORMALIZERS: dict[str, Callable[[str], str]] = {
    "ORCID": normalize_orcid,
    "ISNI": normalize_isni,
    "ROR": normalize_ror,
    "DOI": normalize_doi,
    "Handle": normalize_handle,
    "ARK": normalize_ark,
    "IGSN": normalize_igsn,
    "URL": normalize_url,
    "RAiD": normalize_raid,
    "SWHID": normalize_swhid,
}

_RESOLVERS = {
    "ORCID": "https://orcid.org/{}",
    "ISNI": "https://isni.org/isni/{}",
    "DOI": "https://doi.org/{}",
    "Handle": "https://hdl.handle.net/{}",
    "ARK": "https://n2t.net/{}",
    "SWHID": "https://archive.softwareheritage.org/{}",
}


def normalize_identifier(scheme: str, value: str) -> str:
    """Normalise ``value`` by the rules of ``scheme`` (DataCite spelling, case-insensitive).

    Schemes without a rule here (ISBN, URN, arXiv, ...) are only stripped of whitespace.
    """
    for name, normalizer in NORMALIZERS.items():
        if name.lower() == scheme.lower():
            return normalizer(value)
    return value.strip()


def identifier_url(scheme: str, value: str) -> str | None:
    """Resolvable https URL of a normalised identifier, or None when the scheme has no resolver."""
    if scheme in ("ROR", "URL", "RAiD"):
        return value
    if scheme == "IGSN":
        return f"https://doi.org/{value}" if value.startswith("10.") else f"https://igsn.org/{value}"
    template = _RESOLVERS.get(scheme)
    return template.format(value) if template else None


_HOSTS = [
    (re.compile(r"^https?://(?:www\.|sandbox\.)?orcid\.org/", re.I), "ORCID"),
    (re.compile(r"^https?://(?:www\.)?ror\.org/", re.I), "ROR"),
    (re.compile(r"^https?://(?:www\.)?isni\.org/", re.I), "ISNI"),
    (re.compile(r"^https?://(?:dx\.)?doi\.org/", re.I), "DOI"),
    (re.compile(r"^https?://hdl\.handle\.net/", re.I), "Handle"),
    (re.compile(r"^https?://igsn\.org/", re.I), "IGSN"),
    (re.compile(r"^(?:https?://(?:www\.)?raid\.org/|raid:)", re.I), "RAiD"),
    (re.compile(r"^(?:https?://archive\.softwareheritage\.org/(?:browse/)?)?swh:1:", re.I), "SWHID"),
    (re.compile(r"^(?:https?://[^/]+/)?ark:/?[0-9a-z]{5}/", re.I), "ARK"),
    (re.compile(r"^(?:doi:|10\.\d{4,9}[./])", re.I), "DOI"),
    (re.compile(r"^hdl:", re.I), "Handle"),
    (re.compile(r"^igsn:", re.I), "IGSN"),
    (re.compile(r"^orcid:", re.I), "ORCID"),
]


def detect_scheme(value: str) -> str | None:
    """Guess the identifier scheme of ``value`` (DataCite spelling), or None if unknown.

    Resolver URLs and ``doi:``/``hdl:``/``ark:`` prefixes decide first; a bare ORCID or ROR id is
    recognised only when its checksum is right, so random strings are not misread; any other
    http(s) URL is ``URL``; a numeric ``prefix/suffix`` is a Handle.
    """
    text = value.strip()
    for pattern, scheme in _HOSTS:
        if pattern.match(text):
            return scheme
    # A bare ORCID is written in four hyphenated groups; 16 run-together digits are read as an ISNI
    # (ORCID iDs are a reserved ISNI block, so both are right, but ISNI is the general scheme).
    candidates = (
        ("ORCID", r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]"),
        ("ISNI", r"\d{15}[\dX]"),
        ("ROR", r"0[0-9a-z]{6}\d{2}"),
    )
    for scheme, shape in candidates:
        if re.fullmatch(shape, text, re.I):
            try:
                NORMALIZERS[scheme](text)
            except ValueError:
                continue
            return scheme
    try:
        normalize_url(text)
        return "URL"
    except ValueError:
        pass
    if _HANDLE.match(text):
        return "Handle"
    return None
