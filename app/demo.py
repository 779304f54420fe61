"""Demo data: users, the five Data Terra communities, about ten records in every state, and a
data management plan whose first planned dataset is one of the published records.

Everything is created through the real use cases, so demo data obeys production rules.
Idempotent: a second run finds the demo admin and does nothing.
"""

from __future__ import annotations

import io
import secrets
import unicodedata
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import new_session
from app.models import Record, User
from app.pid import provider_from_config
from app.services import accounts, dmps, files, jobs, reviews
from app.services import records as svc
from curation import Actor

COMMUNITIES = [
    ("aeris", "AERIS — atmosphere", "Data and services for the atmosphere"),
    ("formater", "ForM@Ter — solid Earth", "Data and services for the solid Earth"),
    ("odatis", "ODATIS — ocean", "Data and services for the ocean"),
    ("theia", "THEIA — land surfaces", "Data and services for continental surfaces"),
    ("pndb", "PNDB — biodiversity", "Pôle national de données de biodiversité"),
]

GCMD = "https://gcmd.earthdata.nasa.gov/kms/concepts/concept_scheme/sciencekeywords"
INSPIRE = "http://inspire.ec.europa.eu/theme"


def _md(
    title_fr: str,
    title_en: str,
    abstract: str,
    creator: tuple[str, str],
    bbox: tuple[float, float, float, float],
    start: str,
    end: str | None,
    *,
    topic: str,
    inspire: tuple[str, str],
    gcmd: str,
    access: str = "open",
    license_id: str = "CC-BY-4.0",
    publisher: str = "Data Terra",
) -> dict[str, Any]:
    family, given = creator
    west, south, east, north = bbox
    temporal: dict[str, str] = {"start": start}
    if end:
        temporal["end"] = end
    rights: dict[str, Any] = {"access_level": access, "license": {"id": license_id}}
    if access == "embargoed":
        rights["embargo_until"] = "2027-06-30"
    return {
        "resource_type": {"general": "Dataset", "hierarchy_level": "dataset"},
        "titles": [
            {"text": title_fr, "lang": "fr"},
            {"text": title_en, "lang": "en", "type": "TranslatedTitle"},
        ],
        "abstracts": [{"text": abstract, "lang": "en"}],
        "languages": ["en"],
        "metadata_language": "en",
        "creators": [{"type": "Personal", "family_name": family, "given_name": given}],
        "contacts": [
            {
                "type": "Personal",
                "name": f"{family}, {given}",
                "email": _ascii(f"{given}.{family}@example.org"),
                "role": "pointOfContact",
            }
        ],
        "publisher": {"name": publisher},
        "keywords": [
            {"scheme_name": "GCMD Science Keywords", "scheme_uri": GCMD, "terms": [{"term": gcmd}]},
            {
                "scheme_name": "GEMET - INSPIRE themes, version 1.0",
                "scheme_uri": INSPIRE,
                "terms": [{"term": inspire[1], "lang": "en", "value_uri": f"{INSPIRE}/{inspire[0]}"}],
            },
        ],
        "topic_categories": [topic],
        "spatial_extents": [{"bbox": {"west": west, "east": east, "south": south, "north": north}}],
        "temporal_extents": [temporal],
        "rights": rights,
    }


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


RECORDS: list[tuple[str, str, dict[str, Any]]] = [
    # (target state, community, metadata)
    (
        "published",
        "formater",
        _md(
            "MNT par photogrammétrie drone de la plage de l'Hermitage (La Réunion)",
            "Drone-photogrammetry DEM of L'Hermitage beach, La Réunion",
            "A 5 cm digital elevation model of the beach and back-reef at L'Hermitage, built from 1,200 drone images "
            "and 18 GNSS ground control points, March 2023.",
            ("Payet", "Aurélie"),
            (55.215, -21.085, 55.228, -21.070),
            "2023-03-14",
            "2023-03-15",
            topic="elevation",
            inspire=("el", "Elevation"),
            gcmd="EARTH SCIENCE > LAND SURFACE > TOPOGRAPHY > TERRAIN ELEVATION",
        ),
    ),
    (
        "published",
        "theia",
        _md(
            "Chimie hebdomadaire des eaux de la Rivière des Marsouins",
            "Weekly river water chemistry of the Rivière des Marsouins watershed, La Réunion",
            "Major ions, nutrients, dissolved silica and conductivity sampled weekly at three stations since 2018.",
            ("Hoarau", "Julien"),
            (55.55, -21.15, 55.70, -21.00),
            "2018-01-08",
            None,
            topic="inlandWaters",
            inspire=("hy", "Hydrography"),
            gcmd="EARTH SCIENCE > TERRESTRIAL HYDROSPHERE > WATER QUALITY/WATER CHEMISTRY",
        ),
    ),
    (
        "published",
        "theia",
        _md(
            "Synthèse de l'enneigement Sentinel-2 sur les Pyrénées",
            "Sentinel-2 snow cover synthesis over the Pyrenees",
            "Annual snow cover duration maps at 20 m from Sentinel-2 L2A, hydrological years 2016-2023.",
            ("Gascoin", "Simon"),
            (-2.0, 42.0, 3.5, 43.4),
            "2016-09-01",
            "2023-08-31",
            topic="climatologyMeteorologyAtmosphere",
            inspire=("lc", "Land cover"),
            gcmd="EARTH SCIENCE > CRYOSPHERE > SNOW/ICE > SNOW COVER",
            access="embargoed",
        ),
    ),
    (
        "under_review",
        "theia",
        _md(
            "Hauteur de canopée et biomasse des forêts des Landes",
            "Forest canopy height and above-ground biomass maps of the Landes forest",
            "Canopy height from GEDI and Sentinel-1/2 fusion, and derived biomass, at 10 m resolution for 2021.",
            ("Durand", "Camille"),
            (-1.5, 43.5, 0.2, 44.9),
            "2021-01-01",
            "2021-12-31",
            topic="biota",
            inspire=("lc", "Land cover"),
            gcmd="EARTH SCIENCE > BIOSPHERE > VEGETATION > BIOMASS",
        ),
    ),
    (
        "submitted",
        "theia",
        _md(
            "Série altimétrique du niveau du lac de Serre-Ponçon",
            "Lake level altimetry series of Lake Serre-Ponçon",
            "Water level time series from Sentinel-3 and Sentinel-6 radar altimetry, validated against in situ gauges.",
            ("Crétaux", "Jean-François"),
            (6.25, 44.45, 6.45, 44.60),
            "2016-05-01",
            None,
            topic="inlandWaters",
            inspire=("hy", "Hydrography"),
            gcmd="EARTH SCIENCE > TERRESTRIAL HYDROSPHERE > SURFACE WATER > LAKES/RESERVOIRS",
        ),
    ),
    (
        "changes_requested",
        "theia",
        _md(
            "Humidité du sol à l'échelle de la parcelle, site de Lusignan",
            "Plot-scale soil moisture map, Lusignan observatory",
            "Soil moisture at 0-10 cm mapped every two weeks over 12 ha with a cosmic-ray neutron sensor and TDR probes.",
            ("Martin", "Claire"),
            (0.10, 46.40, 0.13, 46.43),
            "2022-03-01",
            "2022-10-31",
            topic="geoscientificInformation",
            inspire=("so", "Soil"),
            gcmd="EARTH SCIENCE > LAND SURFACE > SOILS > SOIL MOISTURE/WATER CONTENT",
        ),
    ),
    (
        "resubmitted",
        "aeris",
        _md(
            "Flux de CO2 par covariance turbulente à la tour d'Ivry",
            "Eddy-covariance CO2 fluxes at the Ivry tower",
            "Half-hourly CO2 and latent heat fluxes above a dense urban area, processed with EddyPro.",
            ("Lopez", "Marion"),
            (2.38, 48.80, 2.40, 48.82),
            "2021-06-01",
            "2023-05-31",
            topic="climatologyMeteorologyAtmosphere",
            inspire=("ac", "Atmospheric conditions"),
            gcmd="EARTH SCIENCE > ATMOSPHERE > ATMOSPHERIC CHEMISTRY > CARBON AND HYDROCARBON COMPOUNDS > CARBON DIOXIDE",
        ),
    ),
    (
        "draft",
        None,
        _md(
            "Profils d'aérosols lidar à l'Observatoire du Maïdo",
            "Lidar aerosol profiles at the Maïdo Observatory",
            "Backscatter and depolarisation profiles from the Maïdo lidar, 2014-2022.",
            ("Duflot", "Valentin"),
            (55.38, -21.08, 55.39, -21.07),
            "2014-01-01",
            "2022-12-31",
            topic="climatologyMeteorologyAtmosphere",
            inspire=("ac", "Atmospheric conditions"),
            gcmd="EARTH SCIENCE > ATMOSPHERE > AEROSOLS",
        ),
    ),
    (
        "rejected",
        "aeris",
        _md(
            "Photos de nuages prises depuis un balcon",
            "Cloud photos from a balcony",
            "Smartphone photos of clouds, no calibration, no metadata.",
            ("Dupont", "Marc"),
            (2.30, 48.85, 2.31, 48.86),
            "2024-05-01",
            "2024-05-02",
            topic="climatologyMeteorologyAtmosphere",
            inspire=("mf", "Meteorological geographical features"),
            gcmd="EARTH SCIENCE > ATMOSPHERE > CLOUDS",
        ),
    ),
    (
        "withdrawn",
        "odatis",
        _md(
            "Température de surface des bouées dérivantes du Pacifique Sud-Ouest (doublon)",
            "Sea surface temperature from drifting buoys in the South-West Pacific (duplicate)",
            "Hourly sea surface temperature from drifting buoys on both sides of the antimeridian.",
            ("Carberry", "Josiah"),
            (160.0, -35.0, -150.0, -10.0),
            "2019-03-01",
            None,
            topic="oceans",
            inspire=("of", "Oceanographic geographical features"),
            gcmd="EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE > SEA SURFACE TEMPERATURE",
        ),
    ),
    (
        "published",
        "pndb",
        _md(
            "Inventaire des herbiers de posidonies de la baie de Calvi",
            "Posidonia seagrass meadow inventory, Bay of Calvi",
            "Seagrass shoot density and cover from 240 diver transects, 2020-2022.",
            ("Lejeune", "Pierre"),
            (8.72, 42.55, 8.78, 42.60),
            "2020-06-01",
            "2022-09-30",
            topic="biota",
            inspire=("hb", "Habitats and biotopes"),
            gcmd="EARTH SCIENCE > BIOSPHERE > ECOSYSTEMS > MARINE ECOSYSTEMS",
            license_id="CC0-1.0",
        ),
    ),
]

CHECKLIST = [
    "The abstract says how the data were produced.",
    "The files are in open, documented formats.",
    "The licence fits the funder's rules.",
]

DEMO_USERS = [
    ("producer@alluvium.demo", "producer", []),
    ("moderator@alluvium.demo", "moderator", ["theia", "formater", "aeris", "odatis", "pndb"]),
    ("admin@alluvium.demo", "admin", []),
]


def load_demo(app: Flask) -> list[str]:
    """Create demo users, communities and records; returns lines to print (passwords included)."""
    system = Actor.system_actor()
    with new_session(app) as session:
        if session.scalar(select(User).where(User.email == "admin@alluvium.demo")):
            return ["demo data already present (users *@alluvium.demo); nothing changed"]
        policy = accounts.PasswordPolicy(app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_COST"])
        for slug, title, description in COMMUNITIES:
            accounts.create_community(session, system, slug, title, description)
        lines = ["demo users (sign in at /login):"]
        users: dict[str, User] = {}
        for email, role, communities in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            users[role] = accounts.create_user(
                session, system, email, role=role, password=password, communities=communities, policy=policy
            )
            _, token = accounts.create_token(session, system, users[role], name="demo")
            lines.append(f"  {role:9} {email:26} password {password}   API token {token}")
        # Each community's review checklist (the moderation desk; its moderators edit it).
        for slug, _, _ in COMMUNITIES:
            reviews.set_checklist(session, accounts.actor_for(users["admin"]), slug, CHECKLIST)
        from app.oai import admin as oai_admin

        # The set Recherche Data Gouv harvests: here every community's records (an admin narrows it
        # with `alluvium oai set rdg --criteria …` or PUT /api/oai/sets/rdg).
        oai_admin.put_admin_set(
            session,
            system,
            "rdg",
            name="Recherche Data Gouv",
            description="Records harvested by Recherche Data Gouv, the French national research data repository",
            criteria={},
        )
        jobs.mark_done(session, jobs.take_enqueued(session), "nothing to resync yet (demo loader)")
        session.commit()
        counts: dict[str, int] = {}
        for state, community, metadata in RECORDS:
            _walk(app, session, users, state, community, metadata)
            counts[state] = counts.get(state, 0) + 1
        _plan(app, session, users["producer"])
        lines.append("demo data management plan: 1 (imported maDMP, its first dataset deposited)")
        # What is left queued is the archival packages of the versions published or withdrawn
        # above (docs/preservation.md) and the plan's write-back (docs/dmp.md): run now, after
        # the commit, as a worker would.
        archive_jobs = jobs.take_enqueued(session)
        session.commit()
    with app.app_context():
        for job_id in archive_jobs:
            jobs.run_job(app.extensions["alluvium.sessionmaker"], job_id)
    lines.append("demo records: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return lines


def _walk(
    app: Flask, session: Session, users: dict[str, User], state: str, community: str | None, md: dict
) -> None:
    producer, moderator, admin = (accounts.actor_for(users[r]) for r in ("producer", "moderator", "admin"))
    record = svc.create_draft(session, producer, md, community)
    rid = record.id
    body = _sample_csv(md)
    files.upload(
        session,
        producer,
        app.extensions["alluvium.store"],
        rid,
        "data.csv",
        io.BytesIO(body),
        content_length=len(body),
        content_type="text/csv",
        max_size=app.config["MAX_FILE_SIZE"],
        max_files=app.config["MAX_FILES_PER_RECORD"],
    )
    if state == "draft":
        return
    svc.submit(session, producer, rid, community=community, comment="Demo submission")
    if state == "submitted":
        return
    svc.assign(session, moderator, rid)
    if state == "under_review":
        svc.add_comment(session, moderator, rid, comment="Checking the spatial extent against the files.")
        return
    if state in ("changes_requested", "resubmitted"):
        # A field-level thread on the abstract, answered by the producer (the desk and the form
        # show it next to the field).
        thread = reviews.add_comment(
            session,
            moderator,
            rid,
            body="Say how the data were produced (instrument, calibration) in the abstract.",
            anchor_kind="field",
            anchor="/abstracts/0/text",
        )
        svc.request_changes(
            session, moderator, rid, comment="Please add the sensor calibration in the methods."
        )
        reviews.reply(session, producer, rid, thread.id, body="The calibration is now described in the methods.")
        if state == "resubmitted":
            svc.submit(session, producer, rid, comment="Calibration added in the methods.")
        return
    if state == "rejected":
        svc.reject(session, moderator, rid, comment="Out of scope: no calibration and no scientific context.")
        return
    svc.accept(session, moderator, rid, comment="Thank you, accepted.")
    # The loader publishes in the same transaction: the publish job is done, not left pending.
    jobs.mark_done(session, jobs.take_enqueued(session), "published by the demo loader")
    svc.publish(session, rid, provider_from_config(app.config), app.config["BASE_URL"])
    if state == "withdrawn":
        svc.withdraw(session, admin, rid, reason="Duplicate of an existing ODATIS record.")
    session.flush()


#: A plan as DMP OPIDoR exports it (maDMP 1.1 shape with its own extension), for the producer.
DEMO_PLAN: dict[str, Any] = {
    "dmp": {
        "title": "PGD — Observatoire des bouées dérivantes du Pacifique Sud-Ouest",
        "description": "Plan de gestion des données des bouées dérivantes déployées depuis Nouméa.",
        "language": "fra",
        "created": "2024-01-15T09:00:00Z",
        "modified": "2024-03-01T10:30:00Z",
        "dmp_id": {"identifier": "https://dmp.opidor.fr/plans/12345", "type": "url"},
        "ethical_issues_exist": "no",
        "contact": {
            "name": "Josiah Carberry",
            "mbox": "producer@alluvium.demo",
            "contact_id": {"identifier": "0000-0002-1825-0097", "type": "orcid"},
        },
        "contributor": [
            {
                "name": "Josiah Carberry",
                "role": ["Responsable scientifique"],
                "contributor_id": {"identifier": "0000-0002-1825-0097", "type": "orcid"},
                "affiliation": [
                    {
                        "name": "Institut de recherche pour le développement",
                        "affiliation_id": {"identifier": "https://ror.org/05q3vnk25", "type": "ror"},
                    }
                ],
            }
        ],
        "project": [
            {
                "title": "Bouées SWP",
                "start": "2019-01-01",
                "end": "2026-12-31",
                "funding": [
                    {
                        "funder_name": "Agence nationale de la recherche",
                        "funder_id": {"identifier": "501100001665", "type": "fundref"},
                        "grant_id": {"identifier": "ANR-19-CE01-0001", "type": "other"},
                        "funding_status": "granted",
                    }
                ],
            }
        ],
        "dataset": [
            {
                "title": "Séries temporelles des bouées dérivantes",
                "description": "Température et salinité de surface, horaires.",
                "dataset_id": {"identifier": "12345-1", "type": "other"},
                "personal_data": "no",
                "sensitive_data": "no",
                "keyword": ["bouées dérivantes", "température de surface"],
                "distribution": [
                    {
                        "title": "Fichiers CSV",
                        "data_access": "open",
                        "byte_size": 5000000,
                        "license": [
                            {
                                "license_ref": "https://creativecommons.org/licenses/by/4.0/",
                                "start_date": "2024-06-01",
                            }
                        ],
                    }
                ],
            },
            {
                "title": "Photographies des déploiements",
                "dataset_id": {"identifier": "12345-2", "type": "other"},
                "personal_data": "unknown",
                "sensitive_data": "no",
            },
        ],
        "extension": [{"dmp-opidor": {"template_id": 1, "template_title": "Modèle ANR"}}],
    }
}


def _plan(app: Flask, session: Session, producer: User) -> None:
    """Import the demo plan for the producer and link its first dataset to their first
    published record (the write-back job is queued; the caller runs it after commit)."""
    actor = accounts.actor_for(producer)
    imported = dmps.import_plan(session, actor, DEMO_PLAN, app.config["BASE_URL"], source="dmp-opidor:12345")
    published = session.scalar(
        select(Record)
        .where(Record.owner_id == producer.id, Record.state == "published")
        .order_by(Record.created_at)
    )
    if published is not None:
        dmps.link_dataset(session, actor, imported.dmp.id, 0, published.id)


def _sample_csv(md: dict) -> bytes:
    """A small, plausible data file: a header naming the dataset, then a few dated rows."""
    start = md["temporal_extents"][0]["start"]
    title = md["titles"][-1]["text"]
    rows = [f"# {title}", "date,value,quality_flag"]
    rows += [f"{start},{0.1 * i:.2f},1" for i in range(1, 6)]
    return ("\n".join(rows) + "\n").encode()
