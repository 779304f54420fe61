"""Example metadata: one rich record exercising every field, one minimal valid record.

Tests, demo data and export golden files use these. Each call returns a fresh copy.
The identifiers are real: ORCID's documented test iDs, the ROR ids of CNRS, IRD, Ifremer and
CNES, the Crossref Funder ID of the ANR, GCMD 9.1.5 concept UUIDs, INSPIRE theme URIs.
"""

from __future__ import annotations

import copy

GCMD_SCIENCE = "https://gcmd.earthdata.nasa.gov/kms/concepts/concept_scheme/sciencekeywords"
GCMD_PLATFORMS = "https://gcmd.earthdata.nasa.gov/kms/concepts/concept_scheme/platforms"
GCMD_INSTRUMENTS = "https://gcmd.earthdata.nasa.gov/kms/concepts/concept_scheme/instruments"
GCMD_CONCEPT = "https://gcmd.earthdata.nasa.gov/kms/concept/"

_RICH = {
    "resource_type": {"general": "Dataset", "name": "In situ time series", "hierarchy_level": "dataset"},
    "titles": [
        {
            "text": "Température et salinité de surface des bouées dérivantes du Pacifique Sud-Ouest",
            "lang": "fr",
        },
        {
            "text": "Sea surface temperature and salinity from drifting buoys in the South-West Pacific",
            "lang": "en",
            "type": "TranslatedTitle",
        },
        {"text": "SST-SSS bouées SWP", "lang": "fr", "type": "AlternativeTitle"},
        {"text": "Observations 2019-present", "lang": "en", "type": "Subtitle"},
    ],
    "abstracts": [
        {
            "text": "Séries temporelles horaires de température et de salinité de surface mesurées par "
            "des bouées dérivantes de part et d'autre de l'antiméridien.",
            "lang": "fr",
        },
        {
            "text": "Hourly time series of sea surface temperature and salinity measured by drifting "
            "buoys on both sides of the antimeridian.",
            "lang": "en",
        },
    ],
    "descriptions": [
        {
            "text": "Sensors calibrated before deployment; data quality-controlled with the Argo real-time "
            "tests.",
            "lang": "en",
            "type": "Methods",
        },
        {"text": "One NetCDF-4 CF-1.8 file per buoy.", "lang": "en", "type": "TechnicalInfo"},
    ],
    "lineage": [
        {"text": "Raw Argos transmissions decoded, flagged and averaged hourly.", "lang": "en"},
        {"text": "Transmissions Argos brutes décodées, qualifiées et moyennées par heure.", "lang": "fr"},
    ],
    "languages": ["fr", "en"],
    "metadata_language": "fr",
    "creators": [
        {
            "type": "Organizational",
            "name": "Institut de recherche pour le développement",
            "identifiers": [{"identifier": "https://ror.org/05q3vnk25", "scheme": "ROR"}],
        },
        {
            "type": "Personal",
            "given_name": "Josiah",
            "family_name": "Carberry",
            "name": "Carberry, Josiah",
            "identifiers": [{"identifier": "0000-0002-1825-0097", "scheme": "ORCID"}],
            "affiliations": [
                {"name": "Centre national de la recherche scientifique", "ror": "https://ror.org/02feahw73"}
            ],
            "role": "principalInvestigator",
        },
        {
            "type": "Personal",
            "given_name": "Marie",
            "family_name": "Dupont",
            "identifiers": [{"identifier": "https://orcid.org/0000-0002-1694-233X"}],
            "affiliations": [{"name": "Ifremer", "ror": "https://ror.org/044jxhp58"}],
        },
    ],
    "contributors": [
        {
            "type": "Personal",
            "given_name": "Laure",
            "family_name": "Haak",
            "contributor_type": "DataCurator",
            "identifiers": [{"identifier": "0000-0001-5109-3700", "scheme": "ORCID"}],
            "role": "processor",
        },
        {
            "type": "Organizational",
            "name": "ODATIS",
            "contributor_type": "HostingInstitution",
            "role": "distributor",
        },
    ],
    "contacts": [
        {
            "type": "Organizational",
            "name": "ODATIS data centre",
            "email": "contact@odatis-ocean.fr",
            "role": "pointOfContact",
        },
    ],
    "publisher": {"name": "ODATIS / Data Terra", "ror": "https://ror.org/04h1h0y33"},
    "publication_year": 2024,
    "dates": [
        {"date": "2019-03-01/2023-12-31", "type": "Collected"},
        {"date": "2024-01-15", "type": "Created"},
        {"date": "2024-06-01T08:30:00Z", "type": "Updated", "information": "Delayed-mode QC applied"},
        {"date": "2026-12-31", "type": "Available", "information": "End of embargo"},
        {"date": "2019-03/..", "type": "Coverage"},
    ],
    "version": "1.2.0",
    "keywords": [
        {
            "scheme_name": "GCMD Science Keywords",
            "scheme_uri": GCMD_SCIENCE,
            "keyword_type": "theme",
            "terms": [
                {
                    "term": "EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE > SEA SURFACE TEMPERATURE",
                    "value_uri": GCMD_CONCEPT + "bd24a9a9-7d52-4c29-b2a0-6cefd216ae78",
                },
                {
                    "term": "EARTH SCIENCE > OCEANS > SALINITY/DENSITY > SALINITY",
                    "value_uri": GCMD_CONCEPT + "7e95b5fc-1d58-431a-af36-948b29fa870d",
                },
            ],
        },
        {
            "scheme_name": "GEMET - INSPIRE themes, version 1.0",
            "scheme_uri": "http://inspire.ec.europa.eu/theme",
            "scheme_date": "2008-06-01",
            "keyword_type": "theme",
            "terms": [
                {
                    "term": "Oceanographic geographical features",
                    "lang": "en",
                    "value_uri": "http://inspire.ec.europa.eu/theme/of",
                }
            ],
        },
    ],
    "free_keywords": [{"term": "bouées dérivantes", "lang": "fr"}, {"term": "drifters", "lang": "en"}],
    "topic_categories": ["oceans", "climatologyMeteorologyAtmosphere"],
    "spatial_extents": [
        {
            "place": "South-West Pacific, across the antimeridian",
            "bbox": {"west": 160.0, "east": -150.0, "south": -35.0, "north": -10.0},
        },
        {
            "place": "Nouvelle-Calédonie",
            "polygon": {
                "type": "Polygon",
                "coordinates": [
                    [[163.5, -22.8], [168.2, -22.8], [168.2, -19.5], [163.5, -19.5], [163.5, -22.8]]
                ],
            },
        },
        {
            "place": "Nouméa mooring",
            "point": {"lon": 166.45, "lat": -22.27},
            "place_uri": "https://sws.geonames.org/2139521/",
        },
    ],
    "vertical_extent": {"minimum": -1.0, "maximum": 0.0, "unit": "m", "crs": "EPSG:5714"},
    "spatial_resolutions": [{"distance": 1000, "unit": "m"}, {"scale_denominator": 250000}],
    "reference_systems": ["EPSG:4326"],
    "temporal_extents": [{"start": "2019-03-01"}, {"start": "2015-01", "end": "2016-12"}],
    "rights": {
        "access_level": "embargoed",
        "embargo_until": "2026-12-31",
        "license": {"id": "CC-BY-4.0"},
        "use_constraints": [{"text": "Cite the dataset DOI in any publication.", "lang": "en"}],
        "access_constraints": [{"text": "No limitation on public access after the embargo.", "lang": "en"}],
    },
    "funding": [
        {
            "funder_name": "Agence nationale de la recherche",
            "funder_identifier": "10.13039/501100001665",
            "funder_identifier_type": "Crossref Funder ID",
            "award_number": "ANR-19-CE01-0001",
            "award_title": "SWP-Drift",
            "award_uri": "https://anr.fr/Projet-ANR-19-CE01-0001",
        },
        {
            "funder_name": "Centre national d'études spatiales",
            "funder_identifier": "https://ror.org/04h1h0y33",
        },
    ],
    "related_identifiers": [
        {
            "identifier": "https://doi.org/10.1029/2020JC016000",
            "relation_type": "IsCitedBy",
            "resource_type": "JournalArticle",
        },
        {
            "identifier": "10.17882/42182",
            "scheme": "DOI",
            "relation_type": "IsDerivedFrom",
            "resource_type": "Dataset",
        },
        {
            "identifier": "https://github.com/example/swp-drift-qc",
            "scheme": "URL",
            "relation_type": "IsCompiledBy",
            "resource_type": "Software",
        },
    ],
    "alternate_identifiers": [{"identifier": "SWP-DRIFT-2019", "scheme": "ODATIS catalogue id"}],
    "platforms": [
        {
            "term": "BUOYS",
            "value_uri": GCMD_CONCEPT + "3c5df34c-b231-460d-b3b6-4145c1fa8f25",
            "scheme_name": "GCMD Platforms",
            "scheme_uri": GCMD_PLATFORMS,
        }
    ],
    "instruments": [
        {
            "term": "CTD",
            "value_uri": GCMD_CONCEPT + "01cc0beb-7c9a-40ed-ad86-0661b41aee53",
            "scheme_name": "GCMD Instruments",
            "scheme_uri": GCMD_INSTRUMENTS,
        }
    ],
    "variables": [
        {
            "term": "sea_surface_temperature",
            "scheme_name": "CF Standard Names",
            "scheme_uri": "https://vocab.nerc.ac.uk/collection/P07/current/",
            "value_uri": "https://vocab.nerc.ac.uk/collection/P07/current/CFSN0381/",
            "unit": "K",
        },
        {"term": "sea_surface_salinity", "unit": "1e-3"},
    ],
    "inspire_conformity": [
        {
            "specification": "Commission Regulation (EU) No 1089/2010 on interoperability of spatial "
            "data sets "
            "and services",
            "specification_date": "2010-12-08",
            "degree": "notEvaluated",
            "specification_uri": "https://eur-lex.europa.eu/eli/reg/2010/1089",
        },
    ],
    "graphic_overviews": [
        {"file": "quicklook.png", "type": "thumbnail", "description": "Buoy trajectories"},
        {"url": "https://www.odatis-ocean.fr/logo.png", "type": "logo"},
    ],
    "online_resources": [
        {
            "url": "https://sextant.ifremer.fr/services/wms/swp_drifters",
            "protocol": "OGC:WMS",
            "layer_name": "swp_drifters_sst",
            "descriptions": [{"text": "Sea surface temperature along the buoy tracks", "lang": "en"}],
            "function": "browsing",
        },
        {
            "url": "https://tds.example.org/thredds/dodsC/swp/drifters.nc",
            "protocol": "OPeNDAP:OPeNDAP",
            "names": [{"text": "Accès OPeNDAP", "lang": "fr"}, {"text": "OPeNDAP access", "lang": "en"}],
            "function": "download",
            "application_profile": "CF-1.8",
        },
        {
            "url": "https://www.odatis-ocean.fr/swp-drifters/user-guide",
            "protocol": "WWW:LINK-1.0-http--link",
            "names": [{"text": "User guide", "lang": "en"}],
            "function": "information",
        },
    ],
}

_MINIMAL = {
    "resource_type": {"general": "Dataset"},
    "titles": [{"text": "Soil moisture at the Lusignan observatory"}],
    "abstracts": [{"text": "Daily soil moisture at 10 cm depth."}],
    "creators": [{"type": "Personal", "family_name": "Martin", "given_name": "Claire"}],
    "contacts": [{"type": "Personal", "name": "Martin, Claire", "email": "claire.martin@example.org"}],
    "publisher": {"name": "THEIA"},
    "rights": {"access_level": "open"},
}


def rich_example() -> dict:
    """A metadata dict that uses every field (valid for submission)."""
    return copy.deepcopy(_RICH)


def minimal_example() -> dict:
    """The smallest metadata dict that is valid for submission (mandatory fields only)."""
    return copy.deepcopy(_MINIMAL)


def example_record_document() -> dict:
    """A record document wrapping :func:`rich_example`, with the file its thumbnail names."""
    return {
        "id": "abcd-1234",
        "pids": {
            "doi": {
                "identifier": "10.5072/ALLUVIUM.ABCD-1234",
                "provider": "datacite",
                "url": "https://doi.org/10.5072/alluvium.abcd-1234",
            }
        },
        "community": "odatis",
        "created": "2024-05-01T10:00:00Z",
        "updated": "2024-06-01T08:30:00Z",
        "publication_date": "2024-06-01",
        "versions": {"index": 2, "is_latest": True, "parent_id": "abcd-0000"},
        "files": [
            {
                "key": "buoys_2019.nc",
                "size": 1200,
                "mimetype": "application/x-netcdf",
                "checksum": {"md5": "0" * 32, "sha256": "a" * 64},
            },
            {"key": "buoys_2020.nc", "size": 800, "mimetype": "application/x-netcdf"},
            {"key": "quicklook.png", "size": 50},
        ],
        "links": {"self_html": "https://alluvium.example.org/records/abcd-1234"},
        "metadata": rich_example(),
    }
