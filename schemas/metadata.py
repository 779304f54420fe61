"""The canonical metadata record (the producer-editable ``metadata`` object).

One marshmallow schema is the single source of truth every export is written from. Field
names are snake_case; values from a controlled list are stored exactly as the list spells them
(DataCite ``Dataset``, ISO ``pointOfContact``, SPDX ``CC-BY-4.0``) so that crosswalks copy them.
docs/metadata-profile.md gives each field's mappings to DataCite, ISO 19139/19115-3, DC, DCAT,
schema.org. Each field's tier is declared here, in ``metadata=tier(...)``.

Cross-field rules live in ``@validates_schema(skip_on_field_errors=False)`` so that they are
reported together with field errors (the task asks for all errors at once); normalisation that
depends on sibling fields is applied in ``@post_load``, which only runs when the object is valid.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, post_load, validates_schema
from marshmallow.validate import Length, Range

from vocabularies import controlled, identifiers

from .dates import check_order, parse_date
from .fields import (
    MANDATORY,
    OPTIONAL,
    RECOMMENDED,
    AccessUrl,
    BaseSchema,
    Choice,
    Date,
    Email,
    Float,
    Int,
    Language,
    List,
    Nested,
    Ror,
    Str,
    Uri,
    Url,
    datacite_choice,
    fixed_choice,
    iso_choice,
    tier,
)

ACCESS_LEVELS = ("open", "embargoed", "restricted", "metadata_only")
INSPIRE_DEGREES = ("conformant", "notConformant", "notEvaluated")
OVERVIEW_TYPES = ("thumbnail", "logo")
#: The ISO CI_DateTypeCode values INSPIRE accepts for a thesaurus citation (TG 2.0, keywords).
THESAURUS_DATE_TYPES = ("creation", "publication", "revision")
#: Related identifier scheme for an identifier of a type DataCite does not list (ISO aggregationInfo
#: codes from other catalogues); DataCite exports leave these out (docs/exports.md).
OTHER_SCHEME = "Other"
NON_EMPTY = Length(min=1, error="must have at least one entry")


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


# --- multilingual text ------------------------------------------------------------------------


class LangTextSchema(BaseSchema):
    """A text in one language (ISO: a PT_FreeText localisedCharacterString; DataCite: xml:lang)."""

    text = Str(kind="text", required=True, metadata=tier(MANDATORY, "the text"))
    lang = Language(metadata=tier(RECOMMENDED, "BCP 47 language of the text"))


class TitleSchema(LangTextSchema):
    """A title; no ``type`` means the main title (DataCite: title without titleType)."""

    text = Str(kind="title", required=True, metadata=tier(MANDATORY, "the text"))
    type = datacite_choice("titleType", metadata=tier(OPTIONAL, "absent = main title"))


class DescriptionSchema(LangTextSchema):
    """A typed description other than the abstract (which is ``abstracts``)."""

    type = datacite_choice(
        "descriptionType",
        exclude=("Abstract",),
        required=True,
        metadata=tier(MANDATORY, "DataCite descriptionType (not Abstract)"),
    )


# --- resource type ----------------------------------------------------------------------------


class ResourceTypeSchema(BaseSchema):
    """DataCite resourceTypeGeneral + free text, and the ISO hierarchy level (MD_ScopeCode)."""

    general = datacite_choice("resourceTypeGeneral", metadata=tier(MANDATORY, "DataCite resourceTypeGeneral"))
    name = Str(kind="name", metadata=tier(OPTIONAL, "free-text resource type"))
    hierarchy_level = iso_choice("MD_ScopeCode", metadata=tier(RECOMMENDED, "ISO MD_ScopeCode"))
    service_type = Str(
        kind="name", metadata=tier(OPTIONAL, "services only: ISO serviceType, e.g. view, download, OGC:WMS")
    )
    service_versions = List(
        Str(), metadata=tier(OPTIONAL, "services only: ISO serviceTypeVersion, e.g. 1.3.0")
    )

    @validates_schema(skip_on_field_errors=True)
    def _service_fields(self, data: dict[str, Any], **kwargs: Any) -> None:
        is_service = data.get("general") == "Service" or data.get("hierarchy_level") == "service"
        for key in ("service_type", "service_versions"):
            if key in data and not is_service:
                raise ValidationError({key: ["is only for services (general Service)"]})
        if "service_versions" in data and "service_type" not in data:
            raise ValidationError({"service_versions": ["needs service_type"]})


# --- agents -----------------------------------------------------------------------------------

AGENT_SCHEMES = {"ORCID": "Personal", "ROR": "Organizational", "ISNI": None}


def _guess_agent_scheme(value: str) -> str | None:
    """Scheme of a person/organisation identifier judged by its shape only, so that a mistyped
    ORCID is reported as a wrong check digit rather than as an unknown scheme."""
    if re.match(r"^(?:https?://(?:www\.)?orcid\.org/|\d{4}-\d{4}-\d{4}-\d{3}[\dX]$)", value, re.I):
        return "ORCID"
    if re.match(r"^(?:https?://(?:www\.)?ror\.org/|0[0-9a-z]{6}\d{2}$)", value, re.I):
        return "ROR"
    if re.match(r"^(?:https?://(?:www\.)?isni\.org/|\d{4} ?\d{4} ?\d{4} ?\d{3}[\dX]$)", value, re.I):
        return "ISNI"
    return None


class _SchemedIdentifierSchema(BaseSchema):
    """Shared rule: ``identifier`` is checked and normalised by its scheme, given or detected.

    Subclasses declare the fields and ``_resolve(data) -> (scheme or None, normalised value)``,
    which raises ``ValueError`` for a malformed identifier and returns no scheme when it cannot
    recognise one.
    """

    unknown_scheme_message = "is required: the identifier's type could not be recognised"

    @staticmethod
    def _resolve(data: dict[str, Any]) -> tuple[str | None, str]:
        raise NotImplementedError

    @validates_schema(skip_on_field_errors=False)
    def _check_identifier(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "identifier" not in data:
            return
        try:
            scheme, _ = self._resolve(data)
        except ValueError as exc:
            raise ValidationError({"identifier": [str(exc)]}) from None
        if scheme is None and "scheme" not in data:
            raise ValidationError({"scheme": [self.unknown_scheme_message]})

    @post_load
    def _normalise_identifier(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        scheme, data["identifier"] = self._resolve(data)
        if scheme is not None:
            data["scheme"] = scheme
        return {key: data[key] for key in self.fields if key in data}


class AgentIdentifierSchema(_SchemedIdentifierSchema):
    """A name identifier; ORCID/ROR/ISNI are checked and normalised, other schemes kept as given."""

    identifier = Str(kind="identifier", required=True, metadata=tier(MANDATORY, "the identifier"))
    scheme = Str(metadata=tier(OPTIONAL, "ORCID, ROR, ISNI or another scheme name; detected if absent"))
    unknown_scheme_message = "is required: the identifier is not a recognisable ORCID, ROR or ISNI"

    @staticmethod
    def _resolve(data: dict[str, Any]) -> tuple[str | None, str]:
        value = data["identifier"]
        scheme = data.get("scheme") or _guess_agent_scheme(value)
        if scheme is None:
            return None, value
        for known in AGENT_SCHEMES:
            if scheme.lower() == known.lower():
                return known, identifiers.normalize_identifier(known, value)
        return scheme, value


class AffiliationSchema(BaseSchema):
    """An affiliation: organisation name and ROR id."""

    name = Str(kind="name", required=True, metadata=tier(MANDATORY, "organisation name"))
    ror = Ror(metadata=tier(RECOMMENDED, "ROR id"))


class AgentSchema(BaseSchema):
    """A person or an organisation (creator, contributor, contact)."""

    type = datacite_choice("nameType", required=True, metadata=tier(MANDATORY, "Personal or Organizational"))
    name = Str(
        kind="name", metadata=tier(MANDATORY, "display name; for persons 'Family, Given' (derived if absent)")
    )
    given_name = Str(kind="name", metadata=tier(RECOMMENDED, "persons only"))
    family_name = Str(kind="name", metadata=tier(RECOMMENDED, "persons only"))
    identifiers = List(
        Nested(AgentIdentifierSchema), metadata=tier(RECOMMENDED, "ORCID for persons, ROR for organisations")
    )
    affiliations = List(Nested(AffiliationSchema), metadata=tier(RECOMMENDED, "persons only"))
    email = Email(metadata=tier(OPTIONAL, "e-mail address"))
    role = iso_choice("CI_RoleCode", metadata=tier(OPTIONAL, "ISO CI_RoleCode"))

    @validates_schema(skip_on_field_errors=False)
    def _check_agent(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        kind = data.get("type")
        if "name" not in data and "family_name" not in data:
            errors["name"] = ["is required (or give family_name for a person)"]
        if kind == "Organizational":
            for key in ("given_name", "family_name"):
                if key in data:
                    errors[key] = ["is only for persons (type Personal)"]
            if "affiliations" in data:
                errors["affiliations"] = ["is only for persons (type Personal)"]
        if kind is not None:
            for index, ident in enumerate(data.get("identifiers", [])):
                expected = AGENT_SCHEMES.get(ident.get("scheme") or "")
                if expected is not None and expected != kind:
                    what = "a person" if kind == "Personal" else "an organisation"
                    errors.setdefault("identifiers", {})[index] = {  # type: ignore[call-overload]
                        "scheme": [f"{ident['scheme']} is not an identifier scheme for {what}"]
                    }
        _raise(errors)

    @post_load
    def _derive_name(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        # DataCite 4.x creatorName for persons is "Family, Given" (DataCite schema doc, property 2.1).
        if "name" not in data:
            given = data.get("given_name")
            data["name"] = f"{data['family_name']}, {given}" if given else data["family_name"]
        return {key: data[key] for key in self.fields if key in data}


class ContributorSchema(AgentSchema):
    """A contributor: an agent with a DataCite contributorType (required by DataCite)."""

    contributor_type = datacite_choice(
        "contributorType", required=True, metadata=tier(MANDATORY, "DataCite contributorType")
    )


class ContactSchema(AgentSchema):
    """A point of contact: an agent with an e-mail address (ISO/INSPIRE require one)."""

    email = Email(required=True, metadata=tier(MANDATORY, "e-mail address of the contact"))


class PublisherSchema(BaseSchema):
    """The publisher (DataCite publisher with publisherIdentifier ROR)."""

    name = Str(kind="name", metadata=tier(MANDATORY, "publisher name"))
    ror = Ror(metadata=tier(RECOMMENDED, "ROR id"))


# --- dates ------------------------------------------------------------------------------------


class DateSchema(BaseSchema):
    """A typed date (DataCite dateType); the value may be an EDTF interval."""

    date = Date(interval=True, required=True, metadata=tier(MANDATORY, "ISO 8601 date or EDTF interval"))
    type = datacite_choice("dateType", required=True, metadata=tier(MANDATORY, "DataCite dateType"))
    information = Str(metadata=tier(OPTIONAL, "DataCite dateInformation"))


class TemporalExtentSchema(BaseSchema):
    """A time period the data covers; no ``end`` means open-ended (ongoing)."""

    start = Date(required=True, metadata=tier(MANDATORY, "start date"))
    end = Date(metadata=tier(OPTIONAL, "end date; absent = open"))

    @validates_schema(skip_on_field_errors=True)
    def _order(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "start" in data and "end" in data:
            try:
                check_order(
                    parse_date(data["start"]), parse_date(data["end"]), f"{data['start']}/{data['end']}"
                )
            except ValueError:
                raise ValidationError(
                    {"end": [f"is before the start ({data['end']} is earlier than {data['start']})"]}
                ) from None


# --- keywords and concepts --------------------------------------------------------------------


class ConceptSchema(BaseSchema):
    """A term, optionally with its concept URI and vocabulary (platforms, instruments)."""

    term = Str(kind="keyword", required=True, metadata=tier(MANDATORY, "preferred label"))
    value_uri = Uri(metadata=tier(RECOMMENDED, "concept URI"))
    scheme_name = Str(kind="name", metadata=tier(OPTIONAL, "vocabulary name"))
    scheme_uri = Uri(metadata=tier(OPTIONAL, "vocabulary URI"))


class VariableSchema(ConceptSchema):
    """A measured variable with its unit."""

    unit = Str(metadata=tier(RECOMMENDED, "unit symbol, e.g. UCUM 'degC'"))
    unit_uri = Uri(metadata=tier(OPTIONAL, "unit URI (e.g. QUDT)"))


class KeywordTermSchema(BaseSchema):
    """One term of a keyword group."""

    term = Str(kind="keyword", required=True, metadata=tier(MANDATORY, "keyword"))
    value_uri = Uri(metadata=tier(RECOMMENDED, "concept URI"))
    lang = Language(metadata=tier(OPTIONAL, "language of the term"))


class KeywordGroupSchema(BaseSchema):
    """Keywords from one vocabulary (ISO MD_Keywords with thesaurusName; DataCite subjectScheme)."""

    scheme_name = Str(kind="name", required=True, metadata=tier(MANDATORY, "vocabulary name"))
    scheme_uri = Uri(metadata=tier(RECOMMENDED, "vocabulary URI"))
    scheme_date = Date(metadata=tier(OPTIONAL, "vocabulary date (INSPIRE thesaurus citation)"))
    scheme_date_type = fixed_choice(
        THESAURUS_DATE_TYPES,
        "an ISO CI_DateTypeCode of a thesaurus citation (creation, publication, revision)",
        metadata=tier(OPTIONAL, "what scheme_date is; absent means publication"),
    )
    keyword_type = iso_choice("MD_KeywordTypeCode", metadata=tier(OPTIONAL, "ISO MD_KeywordTypeCode"))
    terms = List(
        Nested(KeywordTermSchema), required=True, validate=NON_EMPTY, metadata=tier(MANDATORY, "the keywords")
    )

    @validates_schema(skip_on_field_errors=True)
    def _date_type_needs_a_date(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("scheme_date_type") and not data.get("scheme_date"):
            raise ValidationError({"scheme_date_type": ["names the type of scheme_date, which is missing"]})


class FreeKeywordSchema(BaseSchema):
    """A keyword from no vocabulary."""

    term = Str(kind="keyword", required=True, metadata=tier(MANDATORY, "keyword"))
    lang = Language(metadata=tier(OPTIONAL, "language of the term"))


# --- space ------------------------------------------------------------------------------------


def _lat_range() -> Range:
    return Range(min=-90, max=90, error="must be a latitude between -90 and 90")


def _lon_range() -> Range:
    return Range(min=-180, max=180, error="must be a longitude between -180 and 180")


class BBoxSchema(BaseSchema):
    """A WGS84 bounding box in decimal degrees; west > east means it crosses the antimeridian
    (allowed: ISO 19115 EX_GeographicBoundingBox and DataCite geoLocationBox both permit it)."""

    west = Float(required=True, validate=_lon_range(), metadata=tier(MANDATORY, "west longitude"))
    east = Float(required=True, validate=_lon_range(), metadata=tier(MANDATORY, "east longitude"))
    south = Float(required=True, validate=_lat_range(), metadata=tier(MANDATORY, "south latitude"))
    north = Float(required=True, validate=_lat_range(), metadata=tier(MANDATORY, "north latitude"))

    @validates_schema(skip_on_field_errors=False)
    def _order(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "south" in data and "north" in data and data["south"] > data["north"]:
            raise ValidationError(
                {
                    "south": [
                        f"south latitude {data['south']:g} is greater than north latitude {data['north']:g}"
                    ]
                }
            )


class PointSchema(BaseSchema):
    """A WGS84 point."""

    lon = Float(required=True, validate=_lon_range(), metadata=tier(MANDATORY, "longitude"))
    lat = Float(required=True, validate=_lat_range(), metadata=tier(MANDATORY, "latitude"))


def _check_polygon(value: Any) -> dict[str, Any]:
    """Check a GeoJSON Polygon (RFC 7946 section 3.1.6); returns it with float coordinates."""
    if not isinstance(value, dict):
        raise ValidationError("must be a GeoJSON Polygon object")
    extra = set(value) - {"type", "coordinates"}
    if value.get("type") != "Polygon":
        raise ValidationError('must be a GeoJSON Polygon ("type": "Polygon")')
    if extra:
        raise ValidationError(f"has unknown GeoJSON member(s): {', '.join(sorted(extra))}")
    rings = value.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise ValidationError("coordinates must be a list of linear rings")
    out_rings = []
    for r, ring in enumerate(rings):
        label = "exterior ring" if r == 0 else f"interior ring {r}"
        # RFC 7946 3.1.6: a linear ring is closed and has four or more positions.
        if not isinstance(ring, list) or len(ring) < 4:
            raise ValidationError(f"{label} must have at least 4 positions (first = last)")
        out = []
        for p, pos in enumerate(ring):
            ok = (
                isinstance(pos, list)
                and len(pos) in (2, 3)
                and all(isinstance(c, int | float) and not isinstance(c, bool) for c in pos)
            )
            if not ok:
                raise ValidationError(f"{label} position {p} must be [longitude, latitude]")
            # Compare before float(): a huge JSON integer would overflow the conversion.
            if not -180 <= pos[0] <= 180 or not -90 <= pos[1] <= 90:
                shown = ", ".join(f"{c:g}" if isinstance(c, float) else str(c) for c in pos[:2])
                raise ValidationError(f"{label} position {p} [{shown}] is outside -180..180 / -90..90")
            out.append([float(pos[0]), float(pos[1])])
        if out[0] != out[-1]:
            raise ValidationError(f"{label} is not closed (its first and last positions differ)")
        out_rings.append(out)
    return {"type": "Polygon", "coordinates": out_rings}


class Polygon(Nested):
    """A GeoJSON Polygon (WGS84 lon/lat, RFC 7946)."""

    def __init__(self, **kwargs: Any):
        super().__init__(BaseSchema, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        return _check_polygon(value)


class SpatialExtentSchema(BaseSchema):
    """One geographic location (like a DataCite geoLocation / an ISO EX_Extent geographicElement)."""

    place = Str(kind="name", metadata=tier(RECOMMENDED, "place name"))
    place_uri = Uri(metadata=tier(OPTIONAL, "place URI (GeoNames, GCMD location...)"))
    bbox = Nested(BBoxSchema, metadata=tier(RECOMMENDED, "bounding box"))
    polygon = Polygon(metadata=tier(OPTIONAL, "GeoJSON Polygon"))
    point = Nested(PointSchema, metadata=tier(OPTIONAL, "point"))

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _something(self, data: dict[str, Any], original: dict[str, Any], **kwargs: Any) -> None:
        if not isinstance(original, dict):  # a type error is already reported
            return
        if not {"place", "bbox", "polygon", "point"} & set(original):
            raise ValidationError("needs at least one of place, bbox, polygon or point")


class VerticalExtentSchema(BaseSchema):
    """Vertical extent (ISO EX_VerticalExtent)."""

    minimum = Float(required=True, metadata=tier(MANDATORY, "lowest value"))
    maximum = Float(required=True, metadata=tier(MANDATORY, "highest value"))
    unit = Str(metadata=tier(RECOMMENDED, "unit, e.g. m"))
    crs = Str(metadata=tier(OPTIONAL, "vertical CRS, EPSG:<code>"))

    @validates_schema(skip_on_field_errors=False)
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors = {}
        if "minimum" in data and "maximum" in data and data["minimum"] > data["maximum"]:
            errors["minimum"] = [f"minimum {data['minimum']:g} is greater than maximum {data['maximum']:g}"]
        if "crs" in data:
            try:
                normalize_epsg(data["crs"])
            except ValueError as exc:
                errors["crs"] = [str(exc)]
        _raise(errors)

    @post_load
    def _normalise(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "crs" in data:
            data["crs"] = normalize_epsg(data["crs"])
        return data


class ResolutionSchema(BaseSchema):
    """Spatial resolution (ISO MD_Resolution): a ground distance or a scale, not both."""

    distance = Float(
        validate=Range(min=0, min_inclusive=False, error="must be greater than 0"),
        metadata=tier(OPTIONAL, "ground sample distance"),
    )
    unit = Str(metadata=tier(OPTIONAL, "unit of distance (default m)"))
    scale_denominator = Int(
        validate=Range(min=1, error="must be 1 or more"), metadata=tier(OPTIONAL, "equivalent scale 1:N")
    )

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _one(self, data: dict[str, Any], original: dict[str, Any], **kwargs: Any) -> None:
        if not isinstance(original, dict):  # a type error is already reported
            return
        # Presence is judged on the input, so an invalid distance is not also reported as missing.
        has_distance, has_scale = "distance" in original, "scale_denominator" in original
        if has_distance == has_scale:
            raise ValidationError("give either distance or scale_denominator (exactly one)")
        if "unit" in original and not has_distance:
            raise ValidationError({"unit": ["is only used with distance"]})

    @post_load
    def _default_unit(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "distance" in data:
            data.setdefault("unit", "m")
        return data


_EPSG = re.compile(
    r"^(?:EPSG:+|urn:ogc:def:crs:EPSG:[\d.]*:|https?://www\.opengis\.net/def/crs/EPSG/0/)?(\d{4,6})$", re.I
)


def normalize_epsg(value: str) -> str:
    """Normalise ``4326``, ``epsg:4326``, the OGC URN or the OGC http URI to ``EPSG:4326``."""
    match = _EPSG.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not an EPSG code (expected EPSG:<number>, e.g. EPSG:4326)")
    return f"EPSG:{int(match.group(1))}"


class EpsgField(Str):
    """A coordinate reference system as ``EPSG:<code>``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalize_epsg(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


# --- rights and access ------------------------------------------------------------------------


class LicenseSchema(BaseSchema):
    """A licence: an SPDX id (name and URI filled in from the SPDX list) or a named custom licence."""

    id = Str(metadata=tier(RECOMMENDED, "SPDX licence id"))
    name = Str(kind="name", metadata=tier(OPTIONAL, "licence name (filled from SPDX)"))
    uri = Uri(metadata=tier(OPTIONAL, "licence URI (SPDX reference URL by default)"))

    @validates_schema(skip_on_field_errors=False)
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "id" in data:
            found = controlled.spdx_license(data["id"])
            if found is None:
                raise ValidationError(
                    {"id": [f"{data['id']!r} is not an SPDX licence id (see spdx.org/licenses)"]}
                )
            if found["deprecated"]:
                raise ValidationError(
                    {"id": [f"SPDX licence id {found['id']} is deprecated; use its current id"]}
                )
        elif "name" not in data:
            raise ValidationError("give an SPDX licence id, or a name for another licence")

    @post_load
    def _fill(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "id" in data:
            found = controlled.spdx_license(data["id"])
            data["id"] = found["id"]
            data.setdefault("name", found["name"])
            data.setdefault("uri", found["reference"])
        return data


#: The INSPIRE code list a limitation on public access is picked from (TG metadata 2.0.1 section 2.5).
INSPIRE_LIMITATIONS_VOCABULARY = "inspire-limitations"
NO_LIMITATIONS_URI = "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/noLimitations"


#: The INSPIRE code list a condition applying to access and use is picked from (TG metadata 2.0.1
#: section 2.5: noConditionsApply, conditionsUnknown).
INSPIRE_CONDITIONS_VOCABULARY = "inspire-conditions"


def _code_labels(vocabulary: str, uri: str) -> dict[str, str] | None:
    """The labels of a code of a bundled code list (None when ``uri`` is not one)."""
    from vocabularies.bundled import load_bundled_vocabulary

    concept = load_bundled_vocabulary(vocabulary).by_uri().get(uri)
    return dict(concept.pref_labels) if concept is not None else None


def _all_code_labels(vocabulary: str) -> set[str]:
    from vocabularies.bundled import load_bundled_vocabulary

    return {label for c in load_bundled_vocabulary(vocabulary).concepts for label in c.pref_labels.values()}


def _limitation_labels(uri: str) -> dict[str, str] | None:
    """The labels of a LimitationsOnPublicAccess code (None when ``uri`` is not one)."""
    return _code_labels(INSPIRE_LIMITATIONS_VOCABULARY, uri)


def _all_limitation_labels() -> set[str]:
    return _all_code_labels(INSPIRE_LIMITATIONS_VOCABULARY)


class AccessConstraintSchema(BaseSchema):
    """A limitation on public access: a value of the INSPIRE LimitationsOnPublicAccess code list
    (``uri``; its English label is filled in as the text when none is given), or a text."""

    uri = Str(metadata=tier(OPTIONAL, "INSPIRE LimitationsOnPublicAccess code URI"))
    text = Str(
        kind="text", metadata=tier(OPTIONAL, "the text; required unless a code is given (then its label)")
    )
    lang = Language(metadata=tier(RECOMMENDED, "BCP 47 language of the text"))

    @validates_schema
    def _code(self, data: dict[str, Any], **kwargs: Any) -> None:
        uri = data.get("uri")
        if uri is not None and _limitation_labels(uri) is None:
            raise ValidationError(
                {"uri": [f"{uri!r} is not a value of the INSPIRE code list LimitationsOnPublicAccess"]}
            )
        if uri is None and not data.get("text"):
            raise ValidationError({"text": ["give a text, or choose an INSPIRE limitation"]})

    @post_load
    def _label(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        # No text, or the label of a code (another one, when the producer changed the code in
        # the form): the text becomes the chosen code's label, so it never contradicts the code.
        if data.get("uri") and (not data.get("text") or data["text"] in _all_limitation_labels()):
            labels = _limitation_labels(data["uri"]) or {}
            data["text"] = labels.get("en") or data["uri"]
            data["lang"] = "en"
        return data


class UseConstraintSchema(BaseSchema):
    """A condition applying to access and use: a value of the INSPIRE
    ConditionsApplyingToAccessAndUse code list (``uri``; its English label is filled in as the
    text when none is given), or a text."""

    uri = Str(metadata=tier(OPTIONAL, "INSPIRE ConditionsApplyingToAccessAndUse code URI"))
    text = Str(
        kind="text", metadata=tier(OPTIONAL, "the text; required unless a code is given (then its label)")
    )
    lang = Language(metadata=tier(RECOMMENDED, "BCP 47 language of the text"))

    @validates_schema
    def _code(self, data: dict[str, Any], **kwargs: Any) -> None:
        uri = data.get("uri")
        if uri is not None and _code_labels(INSPIRE_CONDITIONS_VOCABULARY, uri) is None:
            raise ValidationError(
                {"uri": [f"{uri!r} is not a value of the INSPIRE code list ConditionsApplyingToAccessAndUse"]}
            )
        if uri is None and not data.get("text"):
            raise ValidationError({"text": ["give a text, or choose an INSPIRE condition"]})

    @post_load
    def _label(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        # As for the limitations: no text, or another code's label, becomes the code's label.
        if data.get("uri") and (
            not data.get("text") or data["text"] in _all_code_labels(INSPIRE_CONDITIONS_VOCABULARY)
        ):
            labels = _code_labels(INSPIRE_CONDITIONS_VOCABULARY, data["uri"]) or {}
            data["text"] = labels.get("en") or data["uri"]
            data["lang"] = "en"
        return data


class RightsSchema(BaseSchema):
    """Access level, embargo, licence and constraints (all rights information in one place)."""

    access_level = fixed_choice(
        ACCESS_LEVELS,
        "an access level",
        metadata=tier(MANDATORY, "open, embargoed, restricted or metadata_only"),
    )
    embargo_until = Date(metadata=tier(OPTIONAL, "YYYY-MM-DD, required when embargoed"))
    license = Nested(LicenseSchema, metadata=tier(RECOMMENDED, "licence"))
    use_constraints = List(Nested(UseConstraintSchema), metadata=tier(OPTIONAL, "conditions for use"))
    access_constraints = List(
        Nested(AccessConstraintSchema), metadata=tier(OPTIONAL, "limitations on public access")
    )

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _embargo(self, data: dict[str, Any], original: dict[str, Any], **kwargs: Any) -> None:
        if not isinstance(original, dict):  # a type error is already reported
            return
        level = data.get("access_level")
        date = data.get("embargo_until")
        if level == "embargoed" and "embargo_until" not in original:
            raise ValidationError({"embargo_until": ["is required when access_level is embargoed"]})
        if "embargo_until" in original and level is not None and level != "embargoed":
            raise ValidationError(
                {"embargo_until": [f"is only allowed when access_level is embargoed (not {level})"]}
            )
        if level not in (None, "open") and any(
            c.get("uri") == NO_LIMITATIONS_URI for c in data.get("access_constraints") or []
        ):
            raise ValidationError(
                {
                    "access_constraints": [
                        f"“no limitations to public access” contradicts access_level {level}"
                    ]
                }
            )
        # The end of an embargo is a day (DataCite dateType Available, ISO CI_Date), not a year or month.
        if date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise ValidationError({"embargo_until": [f"{date!r} must be a full date YYYY-MM-DD"]})


# --- funding, related identifiers -------------------------------------------------------------

_GRID = re.compile(r"^grid\.\d{4,6}\.[0-9a-f]{1,4}$")


def normalize_funder_identifier(kind: str, value: str) -> str:
    """Normalise a funder identifier by its DataCite funderIdentifierType."""
    if kind == "ROR":
        return identifiers.normalize_ror(value)
    if kind == "ISNI":
        return identifiers.normalize_isni(value)
    if kind == "Crossref Funder ID":
        # DataCite recommends the full https://doi.org/10.13039/... form for Crossref Funder IDs.
        doi = (
            identifiers.normalize_doi(value)
            if value.strip().lower().startswith(("10.", "doi", "http"))
            else value
        )
        if not re.fullmatch(r"10\.13039/\d+", doi):
            raise ValueError(f"{value!r} is not a Crossref Funder ID (expected 10.13039/<number>)")
        return f"https://doi.org/{doi}"
    if kind == "GRID":
        if not _GRID.match(value.lower()):
            raise ValueError(f"{value!r} is not a GRID id (expected e.g. grid.4444.0)")
        return value.lower()
    return value


def _guess_funder_type(value: str) -> str | None:
    if re.search(r"ror\.org/|^0[0-9a-z]{6}\d{2}$", value, re.I):
        return "ROR"
    if "10.13039/" in value:
        return "Crossref Funder ID"
    return None


class FundingSchema(BaseSchema):
    """A funding reference (DataCite fundingReference)."""

    funder_name = Str(kind="name", required=True, metadata=tier(MANDATORY, "funder name"))
    funder_identifier = Str(
        kind="identifier", metadata=tier(RECOMMENDED, "funder id (ROR, Crossref Funder ID...)")
    )
    funder_identifier_type = datacite_choice(
        "funderIdentifierType", metadata=tier(OPTIONAL, "detected for ROR and Crossref")
    )
    award_number = Str(metadata=tier(RECOMMENDED, "grant number"))
    award_title = Str(kind="title", metadata=tier(OPTIONAL, "grant title"))
    award_uri = Uri(metadata=tier(OPTIONAL, "grant URI"))

    @validates_schema(skip_on_field_errors=False)
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "funder_identifier" not in data:
            if "funder_identifier_type" in data:
                raise ValidationError({"funder_identifier_type": ["is only used with funder_identifier"]})
            return
        kind = data.get("funder_identifier_type") or _guess_funder_type(data["funder_identifier"])
        if kind is None:
            raise ValidationError(
                {
                    "funder_identifier_type": [
                        "is required: the funder identifier is not a recognisable ROR id or "
                        "Crossref Funder ID"
                    ]
                }
            )
        try:
            normalize_funder_identifier(kind, data["funder_identifier"])
        except ValueError as exc:
            raise ValidationError({"funder_identifier": [str(exc)]}) from None

    @post_load
    def _normalise(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "funder_identifier" in data:
            kind = data.get("funder_identifier_type") or _guess_funder_type(data["funder_identifier"])
            data["funder_identifier_type"] = kind
            data["funder_identifier"] = normalize_funder_identifier(kind, data["funder_identifier"])
        return {key: data[key] for key in self.fields if key in data}


class RelatedIdentifierSchema(_SchemedIdentifierSchema):
    """A related resource (DataCite relatedIdentifier)."""

    identifier = Str(kind="identifier", required=True, metadata=tier(MANDATORY, "the identifier"))
    scheme = Choice(
        lambda: (*controlled.datacite_list("relatedIdentifierType"), OTHER_SCHEME),
        "a DataCite relatedIdentifierType (or Other)",
        metadata=tier(
            OPTIONAL, "DataCite relatedIdentifierType, or Other for an unrecognised type; detected if absent"
        ),
    )
    relation_type = datacite_choice(
        "relationType", required=True, metadata=tier(MANDATORY, "DataCite relationType")
    )
    resource_type = datacite_choice("resourceTypeGeneral", metadata=tier(OPTIONAL, "resourceTypeGeneral"))

    @staticmethod
    def _resolve(data: dict[str, Any]) -> tuple[str | None, str]:
        if data.get("scheme") == OTHER_SCHEME:  # kept as given: imported identifiers of unknown type
            return OTHER_SCHEME, data["identifier"]
        scheme = data.get("scheme") or identifiers.detect_scheme(data["identifier"])
        if scheme is None or not controlled.is_datacite("relatedIdentifierType", scheme):
            return None, data["identifier"]
        return scheme, identifiers.normalize_identifier(scheme, data["identifier"])


class AlternateIdentifierSchema(BaseSchema):
    """Another identifier of this same resource (DataCite alternateIdentifier)."""

    identifier = Str(kind="identifier", required=True, metadata=tier(MANDATORY, "the identifier"))
    scheme = Str(required=True, metadata=tier(MANDATORY, "its type, free text (e.g. local accession number)"))


# --- online resources and services --------------------------------------------------------------


class OnlineResourceSchema(BaseSchema):
    """A link to the data or about them: download, OGC service, OPeNDAP/THREDDS endpoint,
    documentation page (ISO CI_OnlineResource; DCAT distribution; schema.org distribution)."""

    url = AccessUrl(required=True, metadata=tier(MANDATORY, "http(s) or ftp URL (ISO linkage)"))
    protocol = Choice(
        controlled.online_protocols,
        "an online resource protocol",
        metadata=tier(RECOMMENDED, "access protocol (GeoNetwork protocol names)"),
    )
    names = List(Nested(LangTextSchema), metadata=tier(OPTIONAL, "name of the resource, per language"))
    descriptions = List(Nested(LangTextSchema), metadata=tier(OPTIONAL, "description, per language"))
    function = iso_choice("CI_OnLineFunctionCode", metadata=tier(RECOMMENDED, "ISO CI_OnLineFunctionCode"))
    application_profile = Str(metadata=tier(OPTIONAL, "ISO applicationProfile"))
    layer_name = Str(kind="name", metadata=tier(OPTIONAL, "layer / feature type of an OGC service"))

    @validates_schema(skip_on_field_errors=True)
    def _layer_is_for_services(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "layer_name" in data and controlled.ogc_service_type(data.get("protocol")) is None:
            raise ValidationError({"layer_name": ["is only for OGC service protocols (OGC:WMS, OGC:WFS…)"]})


# --- quality, overview ------------------------------------------------------------------------


class ConformitySchema(BaseSchema):
    """INSPIRE conformity: a specification and the degree of conformity (ISO DQ_ConformanceResult)."""

    specification = Str(kind="title", required=True, metadata=tier(MANDATORY, "specification title"))
    specification_date = Date(required=True, metadata=tier(MANDATORY, "specification publication date"))
    specification_uri = Uri(metadata=tier(OPTIONAL, "specification URI"))
    degree = fixed_choice(
        INSPIRE_DEGREES,
        "an INSPIRE degree of conformity",
        required=True,
        metadata=tier(MANDATORY, "conformant, notConformant or notEvaluated"),
    )


class GraphicOverviewSchema(BaseSchema):
    """An illustration: a file of the record (by key) or an external URL."""

    file = Str(kind="identifier", metadata=tier(OPTIONAL, "key of a file of this record"))
    url = Url(metadata=tier(OPTIONAL, "external image URL"))
    type = fixed_choice(
        OVERVIEW_TYPES,
        "a graphic overview type",
        required=True,
        metadata=tier(MANDATORY, "thumbnail or logo"),
    )
    description = Str(kind="text", metadata=tier(OPTIONAL, "caption"))

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _one(self, data: dict[str, Any], original: dict[str, Any], **kwargs: Any) -> None:
        if not isinstance(original, dict):  # a type error is already reported
            return
        if ("file" in original) == ("url" in original):
            raise ValidationError("give either file or url (exactly one)")


# --- the metadata object ----------------------------------------------------------------------


class MetadataSchema(BaseSchema):
    """The producer-editable metadata of a record (``record["metadata"]``)."""

    resource_type = Nested(ResourceTypeSchema, metadata=tier(MANDATORY, "what the resource is"))
    titles = List(Nested(TitleSchema), metadata=tier(MANDATORY, "titles, at least one main title"))
    abstracts = List(Nested(LangTextSchema), metadata=tier(MANDATORY, "abstract, one per language"))
    descriptions = List(Nested(DescriptionSchema), metadata=tier(OPTIONAL, "methods, technical info..."))
    lineage = List(Nested(LangTextSchema), metadata=tier(RECOMMENDED, "how the data were produced"))
    languages = List(Language(), metadata=tier(RECOMMENDED, "languages of the resource"))
    metadata_language = Language(metadata=tier(RECOMMENDED, "language of this metadata"))
    creators = List(Nested(AgentSchema), metadata=tier(MANDATORY, "authors, in citation order"))
    contributors = List(Nested(ContributorSchema), metadata=tier(RECOMMENDED, "other contributors"))
    contacts = List(Nested(ContactSchema), metadata=tier(MANDATORY, "points of contact with e-mail"))
    publisher = Nested(PublisherSchema, metadata=tier(MANDATORY, "publisher"))
    publication_year = Int(
        validate=Range(min=1000, max=9999, error="must be a four-digit year"),
        metadata=tier(RECOMMENDED, "year of publication (else from publication_date)"),
    )
    dates = List(Nested(DateSchema), metadata=tier(RECOMMENDED, "typed dates"))
    version = Str(metadata=tier(RECOMMENDED, "version label"))
    keywords = List(
        Nested(KeywordGroupSchema), metadata=tier(RECOMMENDED, "controlled keywords by vocabulary")
    )
    free_keywords = List(Nested(FreeKeywordSchema), metadata=tier(OPTIONAL, "uncontrolled keywords"))
    topic_categories = List(
        iso_choice("MD_TopicCategoryCode"), metadata=tier(RECOMMENDED, "ISO 19115 topic categories")
    )
    spatial_extents = List(Nested(SpatialExtentSchema), metadata=tier(RECOMMENDED, "where"))
    vertical_extent = Nested(VerticalExtentSchema, metadata=tier(OPTIONAL, "height/depth range"))
    spatial_resolutions = List(Nested(ResolutionSchema), metadata=tier(OPTIONAL, "resolution"))
    reference_systems = List(EpsgField(), metadata=tier(RECOMMENDED, "coordinate reference systems"))
    temporal_extents = List(Nested(TemporalExtentSchema), metadata=tier(RECOMMENDED, "when"))
    rights = Nested(RightsSchema, metadata=tier(MANDATORY, "access level, licence, constraints"))
    funding = List(Nested(FundingSchema), metadata=tier(RECOMMENDED, "funding references"))
    related_identifiers = List(
        Nested(RelatedIdentifierSchema), metadata=tier(RECOMMENDED, "related resources")
    )
    alternate_identifiers = List(Nested(AlternateIdentifierSchema), metadata=tier(OPTIONAL, "other ids"))
    platforms = List(Nested(ConceptSchema), metadata=tier(OPTIONAL, "platforms"))
    instruments = List(Nested(ConceptSchema), metadata=tier(OPTIONAL, "instruments"))
    variables = List(Nested(VariableSchema), metadata=tier(OPTIONAL, "measured variables"))
    inspire_conformity = List(Nested(ConformitySchema), metadata=tier(OPTIONAL, "INSPIRE conformity"))
    graphic_overviews = List(Nested(GraphicOverviewSchema), metadata=tier(OPTIONAL, "logo / thumbnail"))
    online_resources = List(
        Nested(OnlineResourceSchema), metadata=tier(OPTIONAL, "download links, services, documentation")
    )

    @validates_schema(skip_on_field_errors=False)
    def _check_record(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        titles = data.get("titles")
        if titles and not any("type" not in t for t in titles):
            errors["titles"] = ["needs a main title (a title without type)"]
        _raise(errors)
