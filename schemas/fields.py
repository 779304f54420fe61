"""Marshmallow fields with plain-words messages, normalisation and tier metadata.

Every field of the metadata schema declares its tier in ``metadata={"tier": ...}`` (see
:func:`tier`); ``schemas.tiers`` reads those declarations for validation, completeness and docs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from marshmallow import Schema, ValidationError, fields

from vocabularies import controlled, identifiers

from .dates import parse_date_or_interval
from .limits import InputLimitError, check_text

MANDATORY = "mandatory"
RECOMMENDED = "recommended"
OPTIONAL = "optional"
TIERS = (MANDATORY, RECOMMENDED, OPTIONAL)


def tier(level: str, description: str = "") -> dict[str, str]:
    """Field metadata declaring the tier (the single place tiers are declared)."""
    if level not in TIERS:
        raise ValueError(f"unknown tier {level!r}")
    return {"tier": level, "description": description}


class _Plain:
    default_error_messages = {
        "required": "is required",
        "null": "must not be null",
        "validator_failed": "is not valid",
    }


class Str(_Plain, fields.String):
    """A non-empty text string (input cleaning has already stripped it).

    ``kind`` (a key of ``schemas.limits.TEXT_LIMITS``) sets its maximum length and whether line
    breaks are kept; characters XML cannot carry are refused in every kind.
    """

    default_error_messages = {"invalid": "must be a text string"}
    default_kind = "short"

    def __init__(self, *, kind: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.kind = kind or self.default_kind

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return check_text(text, self.kind)
        except InputLimitError as exc:
            raise ValidationError(str(exc)) from None


class Int(_Plain, fields.Integer):
    """A whole number; booleans and strings are refused (strict)."""

    default_error_messages = {"invalid": "must be a whole number", "too_large": "is too large"}

    def __init__(self, **kwargs: Any):
        super().__init__(strict=True, **kwargs)


class Float(_Plain, fields.Float):
    """A finite number."""

    default_error_messages = {
        "invalid": "must be a number",
        "special": "must be a finite number",
        "too_large": "is too large",
    }


class Bool(_Plain, fields.Boolean):
    """``true`` or ``false``."""

    default_error_messages = {"invalid": "must be true or false"}

    def __init__(self, **kwargs: Any):
        super().__init__(truthy={True}, falsy={False}, **kwargs)


class List(_Plain, fields.List):
    """A JSON array."""

    default_error_messages = {"invalid": "must be a list"}


class Nested(_Plain, fields.Nested):
    """A JSON object loaded by a nested schema."""

    default_error_messages = {"type": "must be an object"}


class BaseSchema(Schema):
    """Unknown keys are errors (marshmallow RAISE), with plain-words messages."""

    error_messages = {"unknown": "is not a known field", "type": "must be an object"}


class _Normalised(Str):
    """A string checked and normalised by ``normalizer`` (which raises ``ValueError``)."""

    normalizer: Callable[[str], str]
    default_kind = "identifier"

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return type(self).normalizer(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class Language(_Normalised):
    """A BCP 47 language tag whose primary subtag is ISO 639-1/639-2 (``fr``, ``en-GB``)."""

    normalizer = staticmethod(controlled.normalize_language_tag)
    default_kind = "short"


# WHATWG HTML "valid e-mail address" (a practical subset of RFC 5322 addr-spec), plus a dot in
# the domain because a depositor's contact address is never a bare host name.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def normalize_email(value: str) -> str:
    """Check e-mail syntax; the domain part is lower-cased (RFC 5321 section 2.4: case-insensitive)."""
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address (expected name@example.org)")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


class Email(_Normalised):
    """An e-mail address."""

    normalizer = staticmethod(normalize_email)


_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")


def normalize_uri(value: str) -> str:
    """Check an absolute URI (RFC 3986 section 4.3: scheme ``:`` hier-part, no spaces)."""
    if not _URI.match(value):
        raise ValueError(f"{value!r} is not a URI (expected e.g. https://example.org/x or urn:x:y)")
    if value.lower().startswith(("http:", "https:")):
        return identifiers.normalize_url(value)
    return value


class Uri(_Normalised):
    """An absolute URI (http(s) URLs must have a host)."""

    normalizer = staticmethod(normalize_uri)


class Url(_Normalised):
    """An absolute http(s) URL."""

    normalizer = staticmethod(identifiers.normalize_url)


def normalize_access_url(value: str) -> str:
    """An http(s) or ftp(s) URL with a host: online resources include FTP downloads."""
    text = value.strip()
    ftp = text.lower().startswith(("ftp://", "ftps://"))
    try:
        # the same checks as an http URL (a host, no spaces), whatever the scheme
        identifiers.normalize_url("http://" + text.split("://", 1)[1] if ftp else text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a URL (expected http://, https:// or ftp:// and a host name)"
        ) from None
    return text


class AccessUrl(_Normalised):
    """An absolute http(s) or ftp(s) URL (online resources)."""

    normalizer = staticmethod(normalize_access_url)


class Ror(_Normalised):
    """A ROR id, normalised to ``https://ror.org/0xxxxxxNN`` (checksum checked)."""

    normalizer = staticmethod(identifiers.normalize_ror)


class Date(Str):
    """An ISO 8601 / EDTF date; intervals (``a/b``, ``a/..``) only when ``interval=True``."""

    def __init__(self, *, interval: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.interval = interval

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_date_or_interval(text, allow_interval=self.interval).text
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class Choice(Str):
    """A value from a controlled list; a case-insensitive match is normalised to the list's spelling."""

    def __init__(self, values: Callable[[], Iterable[str]], label: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.values = values
        self.label = label

    def allowed(self) -> tuple[str, ...]:
        """The allowed values, in list order."""
        return tuple(self.values())

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        allowed = self.allowed()
        if text in allowed:
            return text
        folded = {v.lower(): v for v in allowed}
        if text.lower() in folded:
            return folded[text.lower()]
        raise ValidationError(f"{text!r} is not {self.label}; use one of: {', '.join(allowed)}")


def datacite_choice(list_name: str, *, exclude: tuple[str, ...] = (), **kwargs: Any) -> Choice:
    """A field holding a value of a DataCite 4.x controlled list (``kernel-4/include``)."""
    return Choice(
        lambda: [v for v in controlled.datacite_list(list_name) if v not in exclude],
        f"a DataCite {list_name}",
        **kwargs,
    )


def iso_choice(list_id: str, **kwargs: Any) -> Choice:
    """A field holding an ISO 19115/19139 code (e.g. ``CI_RoleCode``)."""
    return Choice(lambda: controlled.iso_codelist(list_id), f"an ISO {list_id}", **kwargs)


def fixed_choice(values: tuple[str, ...], label: str, **kwargs: Any) -> Choice:
    """A field holding one of a fixed list of Alluvium values."""
    return Choice(lambda: values, label, **kwargs)
