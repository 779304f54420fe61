"""Labels, one-line help texts and examples of the form's fields, in the interface language.

Presentation only: tiers, types and allowed values come from the schema (``form.py``). Labels
are keyed by the field's name; help texts and examples by its pointer pattern (``*`` for list
indices), falling back to the field's name, then to the schema's own description.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SECTION_TITLES = {
    "general": _l("General"),
    "spatial": _l("Spatial"),
    "temporal": _l("Temporal"),
    "keywords": _l("Themes & Keywords"),
    "creator": _l("Creator"),
    "publisher": _l("Publisher"),
    "logo": _l("Dataset logo"),
    "access": _l("Data access"),
    "tracking": _l("Tracking resources"),
    "contributing": _l("Contributing"),
    "other": _l("Other"),
}

LABELS = {
    "resource_type": _l("Resource type"),
    "general": _l("General type"),
    "hierarchy_level": _l("ISO hierarchy level"),
    "titles": _l("Titles"),
    "abstracts": _l("Abstracts"),
    "descriptions": _l("Other descriptions"),
    "lineage": _l("Lineage"),
    "metadata_language": _l("Language of this description"),
    "languages": _l("Languages of the data"),
    "version": _l("Version"),
    "publication_year": _l("Publication year"),
    "dates": _l("Dates"),
    "alternate_identifiers": _l("Other identifiers"),
    "spatial_extents": _l("Spatial extents"),
    "vertical_extent": _l("Vertical extent"),
    "spatial_resolutions": _l("Spatial resolutions"),
    "reference_systems": _l("Coordinate reference systems"),
    "temporal_extents": _l("Time periods"),
    "keywords": _l("Keywords from a vocabulary"),
    "free_keywords": _l("Free keywords"),
    "topic_categories": _l("ISO topic categories"),
    "platforms": _l("Platforms"),
    "instruments": _l("Instruments"),
    "variables": _l("Measured variables"),
    "creators": _l("Creators"),
    "contacts": _l("Points of contact"),
    "publisher": _l("Publisher"),
    "graphic_overviews": _l("Logo and illustrations"),
    "rights": _l("Access and licence"),
    "online_resources": _l("Online resources"),
    "related_identifiers": _l("Related resources"),
    "inspire_conformity": _l("INSPIRE conformity"),
    "contributors": _l("Contributors"),
    "funding": _l("Funding"),
    "text": _l("Text"),
    "lang": _l("Language"),
    "type": _l("Type"),
    "name": _l("Name"),
    "given_name": _l("Given name"),
    "family_name": _l("Family name"),
    "identifiers": _l("Identifiers"),
    "identifier": _l("Identifier"),
    "scheme": _l("Identifier type"),
    "affiliations": _l("Affiliations"),
    "ror": _l("ROR identifier"),
    "email": _l("E-mail"),
    "role": _l("Role"),
    "contributor_type": _l("Contribution"),
    "date": _l("Date"),
    "information": _l("Information about the date"),
    "start": _l("Start"),
    "end": _l("End"),
    "term": _l("Term"),
    "terms": _l("Terms"),
    "value_uri": _l("Concept URI"),
    "scheme_name": _l("Vocabulary"),
    "scheme_uri": _l("Vocabulary URI"),
    "scheme_date": _l("Vocabulary date"),
    "scheme_date_type": _l("Vocabulary date type"),
    "keyword_type": _l("Keyword type"),
    "unit": _l("Unit"),
    "unit_uri": _l("Unit URI"),
    "place": _l("Place name"),
    "place_uri": _l("Place URI"),
    "bbox": _l("Bounding box"),
    "west": _l("West longitude"),
    "east": _l("East longitude"),
    "south": _l("South latitude"),
    "north": _l("North latitude"),
    "polygon": _l("Polygon (GeoJSON)"),
    "point": _l("Point"),
    "lon": _l("Longitude"),
    "lat": _l("Latitude"),
    "minimum": _l("Minimum"),
    "maximum": _l("Maximum"),
    "crs": _l("Vertical reference system"),
    "distance": _l("Distance"),
    "scale_denominator": _l("Scale denominator"),
    "access_level": _l("Access level"),
    "embargo_until": _l("Embargo until"),
    "license": _l("Licence"),
    "id": _l("SPDX identifier"),
    "uri": _l("URI"),
    "url": _l("URL"),
    "use_constraints": _l("Conditions for use"),
    "access_constraints": _l("Limitations on public access"),
    "/rights/access_constraints/*/uri": _l("INSPIRE limitation"),
    "/rights/use_constraints/*/uri": _l("INSPIRE condition"),
    "funder_name": _l("Funder"),
    "funder_identifier": _l("Funder identifier"),
    "funder_identifier_type": _l("Funder identifier type"),
    "award_number": _l("Grant number"),
    "award_title": _l("Grant title"),
    "award_uri": _l("Grant URI"),
    "relation_type": _l("Relation"),
    "specification": _l("Specification"),
    "specification_date": _l("Specification date"),
    "specification_uri": _l("Specification URI"),
    "degree": _l("Degree of conformity"),
    "file": _l("File of this dataset"),
    "description": _l("Caption"),
}

#: pattern or field name -> (help, example). Examples are shown as "e.g. …".
HELP = {
    "/resource_type/general": (_l("What the resource is, in DataCite's list."), "Dataset"),
    "/titles": (_l("A title that says what, where and when; add one per language."), None),
    "/titles/*/text": (
        _l("What, where and when, in one sentence."),
        _l("Sea surface temperature off Brittany, 2010–2020"),
    ),
    "/abstracts/*/text": (
        _l("What the data are, how they were obtained and what they are for."),
        None,
    ),
    "/lineage/*/text": (_l("How the data were produced and processed."), None),
    "lang": (_l("Language code (ISO 639)."), "fr"),
    "/metadata_language": (_l("The language this description is written in."), "fr"),
    "/languages/*": (_l("Language code of the data's content, if any."), "en"),
    "/version": (_l("The version label of the dataset."), "1.0"),
    "/publication_year": (_l("Year the dataset is made public."), "2025"),
    "/reference_systems/*": (_l("EPSG code of a coordinate reference system."), "EPSG:4326"),
    "west": (_l("Decimal degrees, −180 to 180."), "-5.2"),
    "east": (
        _l("Decimal degrees, −180 to 180; less than west when the box crosses the antimeridian."),
        "-1.0",
    ),
    "south": (_l("Decimal degrees, −90 to 90, not above north."), "47.2"),
    "north": (_l("Decimal degrees, −90 to 90."), "48.9"),
    "start": (_l("Year, year-month or full date."), "2010-01"),
    "end": (_l("Leave empty if the series is ongoing."), "2020-12-31"),
    "/keywords/*/scheme_name": (_l("The vocabulary the terms come from."), "GCMD Science Keywords"),
    "term": (_l("Type to search the loaded vocabularies."), _l("Sea surface temperature")),
    "/free_keywords/*/term": (_l("A keyword of your own."), _l("coastal oceanography")),
    # Parties: the same help in each list of people and organisations.
    **{
        f"/{party}/*/name": (_l("For a person: 'Family, Given'."), "Dupont, Marie")
        for party in ("creators", "contributors", "contacts")
    },
    **{
        f"/{party}/*/affiliations/*/name": (_l("The organisation's name, as it writes it."), "INRAE")
        for party in ("creators", "contributors", "contacts")
    },
    "/resource_type/name": (_l("A more precise type in your own words (optional)."), _l("Time series")),
    "/rights/license/name": (
        _l("The licence's full name."),
        "Creative Commons Attribution 4.0 International",
    ),
    "given_name": (None, "Marie"),
    "family_name": (None, "Dupont"),
    **{
        f"/{party}/*/identifiers/*/identifier": (
            _l("ORCID for a person, ROR for an organisation; checked as you type."),
            "0000-0002-1825-0097",
        )
        for party in ("creators", "contributors", "contacts")
    },
    "/related_identifiers/*/identifier": (
        _l("The related work's identifier: a DOI, a URL, an IGSN, a RAiD…"),
        "10.5281/zenodo.1234567",
    ),
    "/alternate_identifiers/*/identifier": (
        _l("Another identifier this dataset already has (a DOI from another repository, a local code…)."),
        "SEDOO-2019-042",
    ),
    "ror": (_l("The organisation's ROR identifier."), "https://ror.org/02feahw73"),
    "email": (_l("An address that will still work in ten years."), "contact@example.org"),
    "/rights/access_level": (
        _l(
            "open: anyone downloads; embargoed: files open on a date; restricted: on request; metadata only: no files."
        ),
        None,
    ),
    "/rights/embargo_until": (_l("The day the files become open (only for an embargo)."), "2026-06-30"),
    "/rights/license/id": (_l("SPDX identifier of the licence."), "CC-BY-4.0"),
    "/rights/access_constraints/*/uri": (
        _l(
            "The ground for limiting public access, from the INSPIRE code list; "
            "the ISO and INSPIRE exports cite it by its address."
        ),
        None,
    ),
    "/rights/use_constraints": (
        _l(
            "Conditions applying to the access and use of the data, besides the licence: an INSPIRE code or your own words."
        ),
        None,
    ),
    "/rights/access_constraints": (
        _l("Why public access is limited, if it is: an INSPIRE code or your own words."),
        None,
    ),
    "/rights/use_constraints/*/uri": (
        _l(
            "Whether conditions apply to access and use, from the INSPIRE code list; "
            "the ISO and INSPIRE exports cite it by its address."
        ),
        None,
    ),
    "/rights/use_constraints/*/text": (
        _l(
            "Leave empty to use the label of the INSPIRE code chosen above, or state the conditions in your words."
        ),
        _l("Cite the dataset as given on its landing page."),
    ),
    "/rights/access_constraints/*/text": (
        _l("Leave empty to use the label of the INSPIRE code chosen above, or explain in your words."),
        _l("Personal data: access on justified request."),
    ),
    "/funding/*/funder_identifier": (
        _l(
            "The funder's ROR id or Crossref Funder ID; “Look up” fills in the funder's name and the identifier type."
        ),
        "https://ror.org/00rbzpz17",
    ),
    "/funding/*/award_number": (None, "ANR-20-CE01-0001"),
    "/publisher/name": (_l("The organisation that makes the dataset available."), _l("Data Terra")),
}


def label(spec) -> str:  # type: ignore[no-untyped-def]
    """The field's label in the interface language."""
    key = spec.key
    if key == "*":
        return ""
    return str(LABELS.get(spec.pattern) or LABELS.get(key, key.replace("_", " ").capitalize()))


def help_and_example(spec) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(help text, example) for a field; the schema's description when no help is written."""
    found = HELP.get(spec.pattern) or HELP.get(spec.key)
    if found is None:
        return spec.description, ""
    text, example = found
    return str(text or ""), str(example or "")


# --- field names for messages -------------------------------------------------------------------

#: Pointers outside the metadata that the form's messages name.
OTHER_FIELDS = {
    "/community": _l("Community"),
    "/file": _l("File"),
    "/template": _l("Template"),
    "/_revision": _l("Draft"),
}


def metadata_pointer(pointer: str) -> str:
    """A pointer into the record document (``/metadata/titles``) made relative to its metadata
    (``/titles``); pointers already relative (``/metadata_language``) are kept."""
    return pointer[len("/metadata") :] if pointer.startswith("/metadata/") else pointer


def pointer_label(pointer: str) -> str:
    """What a person calls the field at a JSON pointer, in the interface language:
    ``/publisher/ror`` -> "Publisher › ROR identifier", ``/creators/1/family_name`` ->
    "Creators no. 2 › Family name". A pointer the form does not know is returned unchanged."""
    from flask_babel import gettext as _

    from app.web.deposit.form import form_fields

    pointer = metadata_pointer(pointer)
    if pointer in OTHER_FIELDS:
        return str(OTHER_FIELDS[pointer])
    tokens = pointer.split("/")[1:]
    if not tokens or tokens[0] not in form_fields():
        return pointer or _("the form")
    node = form_fields()[tokens[0]]
    parts = [label(node)]
    for token in tokens[1:]:
        if node.widget == "items" and token.isdigit() and node.item is not None:
            parts[-1] = _("%(what)s no. %(num)s", what=parts[-1], num=int(token) + 1)
            node = node.item
        elif node.widget == "group":
            child = next((c for c in node.children if c.key == token), None)
            if child is None:
                break
            node = child
            parts.append(label(node))
        else:
            break
    return " › ".join(p for p in parts if p)


def pointer_anchor(pointer: str, metadata: dict) -> str:
    """The id of the element the form renders for ``pointer`` (inputs and fieldsets are
    identified by their pointer). A list item the form does not show (the list is shorter)
    is reached through its list."""
    pointer = metadata_pointer(pointer)
    if not pointer.startswith("/") or pointer in OTHER_FIELDS:
        return pointer
    tokens = pointer.split("/")[1:]
    value: object = metadata
    kept: list[str] = []
    for token in tokens:
        if isinstance(value, list):
            if not token.isdigit() or int(token) >= max(len(value), 1):
                break
            value = value[int(token)] if int(token) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(token)
        elif token.isdigit() and int(token) > 0:
            break  # an empty list shows one item at most
        else:
            value = None
        kept.append(token)
    return "/" + "/".join(kept)
