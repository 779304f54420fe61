"""Generate the SKOS (Turtle) files in ``vocabularies/data/bundled/``.

Usage::

    python3 vocabularies/data/build_bundled.py [--standards /work/shared/standards] [--check]

The Turtle files are committed; this script records how they were made. ``--check`` exits 1
when a committed file differs from what the sources give now.

Sources:

* INSPIRE spatial data themes: labels and definitions in English and French from the
  GeoNetwork multilingual file of the standards bundle
  (``vocabularies/inspire/inspire-theme.multilingual.geonetwork.rdf``). That file uses old
  eionet URIs; each theme is mapped to its official INSPIRE registry URI
  ``http://inspire.ec.europa.eu/theme/<code>`` through the theme code the file stores as an
  untagged ``skos:altLabel``. The codes are checked against the registry export
  ``vocabularies/inspire/theme.en.rdf``. Scheme title and date are the thesaurus citation
  the INSPIRE metadata technical guidelines prescribe ("GEMET - INSPIRE themes, version 1.0",
  2008-06-01).
* ISO 19115 topic categories: ``iso19115.json`` (built by ``build_controlled.py`` from the
  19115-3 ``MD_TopicCategoryCode.xml``), restricted to the 19 codes ISO 19139 allows; French
  labels written here from the French translation used by INSPIRE metadata catalogues.
* DataCite resourceTypeGeneral, contributorType, relationType: ``datacite.json`` (DataCite
  Metadata Schema 4.7); English labels from the values, French labels written here (DataCite
  publishes none).
* Licences: the six most chosen, names from ``spdx_licenses.json`` (SPDX License List),
  French names written here.
* Languages: ISO 639 languages used in Europe, names (en, fr) from ``iso639.json`` (LoC
  ISO 639-2 list), URIs of the EU Publications Office language authority table.
* INSPIRE limitations on public access: codes of the INSPIRE registry
  (``metadata-codelist/LimitationsOnPublicAccess``); labels written here from Article 13(1)
  of Directive 2007/2/EC in its English and French versions.
* INSPIRE conditions applying to access and use: the two codes of the INSPIRE registry
  (``metadata-codelist/ConditionsApplyingToAccessAndUse``: ``noConditionsApply``,
  ``conditionsUnknown``) that INSPIRE TG metadata 2.0.1 section 2.5 cites as Anchors; English
  labels and definitions as the registry gives them, French written here.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from rdflib import DCTERMS, OWL, RDF, SKOS, Graph, Literal, URIRef

HERE = Path(__file__).resolve().parent
OUT = HERE / "bundled"
DEFAULT_STANDARDS = Path("/work/shared/standards")

sys.path.insert(0, str(HERE.parents[1]))
from vocabularies import bundled as B  # noqa: E402
from vocabularies.skos import parse_skos  # noqa: E402


def _json(name: str) -> dict:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def _graph() -> Graph:
    g = Graph()
    g.bind("skos", SKOS)
    g.bind("dct", DCTERMS)
    g.bind("owl", OWL)
    return g


def _scheme(
    g: Graph,
    uri: str,
    titles: dict[str, str],
    *,
    version: str | None = None,
    issued: str | None = None,
    source: str | None = None,
) -> URIRef:
    node = URIRef(uri)
    g.add((node, RDF.type, SKOS.ConceptScheme))
    for lang, title in titles.items():
        g.add((node, DCTERMS.title, Literal(title, lang=lang)))
    if version:
        g.add((node, OWL.versionInfo, Literal(version)))
    if issued:
        g.add((node, DCTERMS.issued, Literal(issued)))
    if source:
        g.add((node, DCTERMS.source, Literal(source)))
    return node


def _concept(
    g: Graph,
    scheme: URIRef,
    uri: str,
    notation: str,
    labels: dict[str, str],
    definitions: dict[str, str] | None = None,
    alt: dict[str, list[str]] | None = None,
) -> None:
    node = URIRef(uri)
    g.add((node, RDF.type, SKOS.Concept))
    g.add((node, SKOS.inScheme, scheme))
    g.add((node, SKOS.topConceptOf, scheme))
    g.add((node, SKOS.notation, Literal(notation)))
    for lang, label in labels.items():
        g.add((node, SKOS.prefLabel, Literal(label, lang=lang)))
    for lang, text in (definitions or {}).items():
        g.add((node, SKOS.definition, Literal(text, lang=lang)))
    for lang, values in (alt or {}).items():
        for value in values:
            g.add((node, SKOS.altLabel, Literal(value, lang=lang or None)))


# --- INSPIRE themes ---------------------------------------------------------------------------


def inspire_themes(standards: Path) -> Graph:
    folder = standards / "vocabularies" / "inspire"
    multi = parse_skos(folder / "inspire-theme.multilingual.geonetwork.rdf")
    registry = {
        c.uri for c in parse_skos(folder / "theme.en.rdf", B.INSPIRE_THEMES).concepts if not c.deprecated
    }
    g = _graph()
    scheme = _scheme(
        g,
        B.INSPIRE_THEMES,
        {"en": "GEMET - INSPIRE themes, version 1.0", "fr": "GEMET - thèmes INSPIRE, version 1.0"},
        version="1.0",
        issued="2008-06-01",
        source="GeoNetwork util-gemet inspire-theme.rdf; URIs of the INSPIRE theme register",
    )
    for c in multi.concepts:
        code = c.alt_labels[""][0]
        uri = f"{B.INSPIRE_THEMES}/{code}"
        if uri not in registry:
            raise SystemExit(f"theme code {code!r} ({c.uri}) is not in the INSPIRE registry export")
        _concept(
            g,
            scheme,
            uri,
            code,
            {k: c.pref_labels[k] for k in ("en", "fr")},
            {k: c.definitions[k] for k in ("en", "fr") if k in c.definitions},
        )
    if len(set(g.subjects(RDF.type, SKOS.Concept))) != 34:
        raise SystemExit("expected the 34 INSPIRE themes of Annexes I-III")
    return g


# --- ISO 19115 topic categories ---------------------------------------------------------------

TOPIC_FR = {
    "farming": "Agriculture",
    "biota": "Biote",
    "boundaries": "Limites",
    "climatologyMeteorologyAtmosphere": "Climatologie, météorologie, atmosphère",
    "economy": "Économie",
    "elevation": "Altitude",
    "environment": "Environnement",
    "geoscientificInformation": "Informations géoscientifiques",
    "health": "Santé",
    "imageryBaseMapsEarthCover": "Imagerie, cartes de base, occupation des terres",
    "intelligenceMilitary": "Renseignement, secteur militaire",
    "inlandWaters": "Eaux intérieures",
    "location": "Localisation",
    "oceans": "Océans",
    "planningCadastre": "Planification, cadastre",
    "society": "Société",
    "structure": "Structure",
    "transportation": "Transport",
    "utilitiesCommunication": "Services d'utilité publique, communication",
}


def _words(code: str) -> str:
    """``climatologyMeteorologyAtmosphere`` -> ``Climatology meteorology atmosphere``."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", code).split()
    return " ".join(
        [words[0][0].upper() + words[0][1:]] + [w if w.isupper() else w.lower() for w in words[1:]]
    )


def iso_topics() -> Graph:
    g = _graph()
    scheme = _scheme(
        g,
        B.ISO_TOPIC_CATEGORIES,
        {"en": "ISO 19115 topic categories (MD_TopicCategoryCode)", "fr": "Catégories thématiques ISO 19115"},
        source="ISO 19115-3 MD_TopicCategoryCode.xml, codes allowed by ISO 19139",
    )
    base = B.ISO_TOPIC_CATEGORIES + "_"
    for entry in _json("iso19115.json")["lists"]["MD_TopicCategoryCode"]:
        if not entry.get("in_19139", True):
            continue
        code = entry["code"]
        desc = re.sub(r"(?<=\S)(Examples:)", r" \1", " ".join(entry["description"].split()))
        _concept(
            g,
            scheme,
            base + code,
            code,
            {"en": _words(code), "fr": TOPIC_FR[code]},
            {"en": desc},
            {"": [code]},
        )
    return g


# --- DataCite ---------------------------------------------------------------------------------

# French labels written for Alluvium (DataCite publishes English only), in the wording French
# repositories use: HAL document types (communication dans un congrès, actes de congrès,
# prépublication, éditeur scientifique), the French Dataverse translation of contributor types.
# Relation types read "<this resource> … <the related one>", as the English values do.
RESOURCE_TYPES_FR = {
    "Audiovisual": "Audiovisuel",
    "Award": "Subvention",
    "Book": "Livre",
    "BookChapter": "Chapitre d'ouvrage",
    "Collection": "Collection",
    "ComputationalNotebook": "Carnet de calcul (notebook)",
    "ConferencePaper": "Communication dans un congrès",
    "ConferenceProceeding": "Actes de congrès",
    "DataPaper": "Article de données (data paper)",
    "Dataset": "Jeu de données",
    "Dissertation": "Thèse ou mémoire",
    "Event": "Événement",
    "Image": "Image",
    "Instrument": "Instrument",
    "InteractiveResource": "Ressource interactive",
    "Journal": "Revue",
    "JournalArticle": "Article de revue",
    "Model": "Modèle",
    "OutputManagementPlan": "Plan de gestion des produits de la recherche",
    "PeerReview": "Évaluation par les pairs",
    "PhysicalObject": "Objet physique",
    "Poster": "Poster",
    "Preprint": "Prépublication",
    "Presentation": "Présentation",
    "Project": "Projet",
    "Report": "Rapport",
    "Service": "Service",
    "Software": "Logiciel",
    "Sound": "Son",
    "Standard": "Norme",
    "StudyRegistration": "Enregistrement d'étude",
    "Text": "Texte",
    "Workflow": "Chaîne de traitement (workflow)",
    "Other": "Autre",
}

CONTRIBUTOR_TYPES_FR = {
    "ContactPerson": "Personne à contacter",
    "DataCollector": "Collecteur de données",
    "DataCurator": "Curateur de données",
    "DataManager": "Gestionnaire de données",
    "Distributor": "Distributeur",
    "Editor": "Éditeur scientifique",
    "HostingInstitution": "Institution d'hébergement",
    "Other": "Autre",
    "Producer": "Producteur",
    "ProjectLeader": "Responsable de projet",
    "ProjectManager": "Gestionnaire de projet",
    "ProjectMember": "Membre du projet",
    "RegistrationAgency": "Agence d'enregistrement",
    "RegistrationAuthority": "Autorité d'enregistrement",
    "RelatedPerson": "Personne liée",
    "ResearchGroup": "Équipe de recherche",
    "RightsHolder": "Titulaire des droits",
    "Researcher": "Chercheur",
    "Sponsor": "Commanditaire",
    "Supervisor": "Superviseur",
    "Translator": "Traducteur",
    "WorkPackageLeader": "Responsable de lot de travaux",
}

RELATION_TYPES_FR = {
    "IsCitedBy": "Est cité par",
    "Cites": "Cite",
    "IsSupplementTo": "Est un complément de",
    "IsSupplementedBy": "Est complété par",
    "IsContinuedBy": "A pour suite",
    "Continues": "Fait suite à",
    "IsNewVersionOf": "Est une nouvelle version de",
    "IsPreviousVersionOf": "Est une version précédente de",
    "IsPartOf": "Fait partie de",
    "HasPart": "A pour partie",
    "IsPublishedIn": "Est publié dans",
    "IsReferencedBy": "Est référencé par",
    "References": "Fait référence à",
    "IsDocumentedBy": "Est documenté par",
    "Documents": "Documente",
    "IsCompiledBy": "Est compilé par",
    "Compiles": "Compile",
    "IsVariantFormOf": "Est une variante de",
    "IsOriginalFormOf": "Est la forme originale de",
    "IsIdenticalTo": "Est identique à",
    "HasMetadata": "A pour métadonnées",
    "IsMetadataFor": "Constitue les métadonnées de",
    "Reviews": "Évalue",
    "IsReviewedBy": "Est évalué par",
    "IsDerivedFrom": "Est dérivé de",
    "IsSourceOf": "Est la source de",
    "Describes": "Décrit",
    "IsDescribedBy": "Est décrit par",
    "HasVersion": "A pour version",
    "IsVersionOf": "Est une version de",
    "Requires": "Nécessite",
    "IsRequiredBy": "Est nécessaire à",
    "Obsoletes": "Rend obsolète",
    "IsObsoletedBy": "Est rendu obsolète par",
    "Collects": "Collecte",
    "IsCollectedBy": "Est collecté par",
    "HasTranslation": "A pour traduction",
    "IsTranslationOf": "Est une traduction de",
    "Other": "Autre",
}


def datacite(list_name: str, uri: str, titles: dict[str, str], labels_fr: dict[str, str]) -> Graph:
    data = _json("datacite.json")
    values = data["lists"][list_name]
    if set(values) != set(labels_fr):
        raise SystemExit(
            f"French labels of {list_name} do not match DataCite {data['version']}: "
            f"missing {sorted(set(values) - set(labels_fr))}, extra {sorted(set(labels_fr) - set(values))}"
        )
    g = _graph()
    scheme = _scheme(
        g,
        uri,
        titles,
        version=data["version"],
        source=f"DataCite Metadata Schema {data['version']}, {list_name}; French labels by Alluvium",
    )
    for value in values:
        _concept(
            g,
            scheme,
            f"{uri}#{value}",
            value,
            {"en": _words(value), "fr": labels_fr[value]},
            alt={"": [value]},
        )
    return g


# --- licences ---------------------------------------------------------------------------------

LICENCES = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0 International", ["CC BY 4.0"]),
    "CC-BY-SA-4.0": (
        "Creative Commons Attribution - Partage dans les mêmes conditions 4.0 International",
        ["CC BY-SA 4.0"],
    ),
    "CC-BY-NC-4.0": (
        "Creative Commons Attribution - Pas d'utilisation commerciale 4.0 International",
        ["CC BY-NC 4.0"],
    ),
    "CC0-1.0": ("Creative Commons Zero 1.0 Universel (domaine public)", ["CC0 1.0", "CC0"]),
    "etalab-2.0": ("Licence Ouverte / Open Licence version 2.0", ["Licence Ouverte 2.0", "Etalab 2.0"]),
    "ODbL-1.0": ("Licence ouverte de bases de données (ODbL) 1.0", ["ODbL 1.0", "ODbL"]),
}


def licences() -> Graph:
    spdx = _json("spdx_licenses.json")
    g = _graph()
    scheme = _scheme(
        g,
        B.LICENCES,
        {"en": "SPDX License List", "fr": "Liste des licences SPDX"},
        version=spdx["version"],
        source="SPDX License List (CC0-1.0)",
    )
    for spdx_id, (fr, alt) in LICENCES.items():
        entry = spdx["licenses"][spdx_id]
        _concept(
            g,
            scheme,
            f"https://spdx.org/licenses/{spdx_id}",
            spdx_id,
            {"en": entry["name"], "fr": fr},
            alt={"": [spdx_id, *alt]},
        )
    return g


# --- languages --------------------------------------------------------------------------------

# EU official languages, then other languages of Europe's states and regions (ISO 639-2/T).
EUROPE = (
    "bul ces dan deu ell eng est fin fra gle hrv hun ita lav lit mlt nld pol por ron slk slv spa swe "
    "bre cat cos cym eus fry gla glg ltz oci roh sme "
    "bel bos isl mkd nno nob nor rus sqi srp tur ukr lat"
).split()


def languages() -> Graph:
    entries = {e["alpha3_t"]: e for e in _json("iso639.json")["languages"]}
    g = _graph()
    scheme = _scheme(
        g,
        B.LANGUAGES,
        {"en": "Languages (ISO 639) used in Europe", "fr": "Langues (ISO 639) d'Europe"},
        source="ISO 639-2 (Library of Congress); URIs of the EU Publications Office authority table",
    )
    for code in EUROPE:
        e = entries[code]
        alt = sorted({e["alpha3_b"], e["alpha3_t"]} - {e["alpha2"]})
        _concept(
            g,
            scheme,
            f"{B.LANGUAGES}/{code.upper()}",
            e["alpha2"] or code,
            {"en": e["en"].split(";")[0].strip(), "fr": e["fr"].split(";")[0].strip()},
            alt={"": alt},
        )
    return g


# --- INSPIRE limitations on public access -----------------------------------------------------

ARTICLE_13_1 = {
    "a": (
        "the confidentiality of the proceedings of public authorities, where such confidentiality is "
        "provided for by law",
        "la confidentialité des travaux des autorités publiques, lorsque cette confidentialité est prévue "
        "par la loi",
    ),
    "b": (
        "international relations, public security or national defence",
        "les relations internationales, la sécurité publique ou la défense nationale",
    ),
    "c": (
        "the course of justice, the ability of any person to receive a fair trial or the ability of a "
        "public authority to conduct an enquiry of a criminal or disciplinary nature",
        "la bonne marche de la justice, la possibilité pour toute personne d'être jugée équitablement ou "
        "la capacité d'une autorité publique d'effectuer une enquête d'ordre pénal ou disciplinaire",
    ),
    "d": (
        "the confidentiality of commercial or industrial information, where such confidentiality is "
        "provided for by national or Community law to protect a legitimate economic interest, including "
        "the public interest in maintaining statistical confidentiality and tax secrecy",
        "la confidentialité des informations commerciales ou industrielles, lorsque cette confidentialité "
        "est prévue par la législation nationale ou communautaire afin de protéger un intérêt économique "
        "légitime, notamment l'intérêt public lié à la préservation de la confidentialité des statistiques "
        "et du secret fiscal",
    ),
    "e": ("intellectual property rights", "les droits de propriété intellectuelle"),
    "f": (
        "the confidentiality of personal data and/or files relating to a natural person where that person "
        "has not consented to the disclosure of the information to the public, where such confidentiality "
        "is provided for by national or Community law",
        "la confidentialité des données à caractère personnel et/ou des fichiers concernant une personne "
        "physique lorsque cette personne n'a pas consenti à la divulgation de ces informations au public, "
        "lorsque la confidentialité de ce type d'information est prévue par la législation nationale ou "
        "communautaire",
    ),
    "g": (
        "the interests or protection of any person who supplied the information requested on a voluntary "
        "basis without being under, or capable of being put under, a legal obligation to do so, unless "
        "that person has consented to the release of the information concerned",
        "les intérêts ou la protection de toute personne qui a fourni les informations demandées sur une "
        "base volontaire sans y être contrainte par la loi ou sans que la loi puisse l'y contraindre, à "
        "moins que cette personne n'ait consenti à la divulgation de ces données",
    ),
    "h": (
        "the protection of the environment to which such information relates, such as the location of "
        "rare species",
        "la protection de l'environnement auquel ces informations ont trait, comme par exemple la "
        "localisation d'espèces rares",
    ),
}


def inspire_limitations() -> Graph:
    g = _graph()
    scheme = _scheme(
        g,
        B.INSPIRE_LIMITATIONS,
        {"en": "Limitations on public access", "fr": "Restrictions d'accès public"},
        source="INSPIRE registry metadata-codelist LimitationsOnPublicAccess; "
        "Directive 2007/2/EC Article 13(1)",
    )
    _concept(
        g,
        scheme,
        f"{B.INSPIRE_LIMITATIONS}/noLimitations",
        "noLimitations",
        {"en": "No limitations to public access", "fr": "Pas de restriction d'accès public"},
        {
            "en": "There are no limitations on public access to spatial data sets and services.",
            "fr": "Il n'y a pas de restriction d'accès public aux séries et services de données "
            "géographiques.",
        },
    )
    for letter, (en, fr) in ARTICLE_13_1.items():
        code = f"INSPIRE_Directive_Article13_1{letter}"
        _concept(
            g,
            scheme,
            f"{B.INSPIRE_LIMITATIONS}/{code}",
            code,
            {
                "en": f"Public access limited according to Article 13(1)({letter}) of the INSPIRE Directive",
                "fr": f"Accès public limité en vertu de l'article 13, paragraphe 1, point {letter}), "
                "de la directive INSPIRE",
            },
            {
                "en": f"Limitation to public access on the ground of {en}.",
                "fr": f"Restriction d'accès public pour motif de {fr}.",
            },
        )
    return g


# --- INSPIRE conditions applying to access and use ---------------------------------------------


def inspire_conditions() -> Graph:
    g = _graph()
    scheme = _scheme(
        g,
        B.INSPIRE_CONDITIONS,
        {"en": "Conditions applying to access and use", "fr": "Conditions d'accès et d'utilisation"},
        source="INSPIRE registry metadata-codelist ConditionsApplyingToAccessAndUse",
    )
    _concept(
        g,
        scheme,
        f"{B.INSPIRE_CONDITIONS}/noConditionsApply",
        "noConditionsApply",
        {
            "en": "No conditions apply to access and use",
            "fr": "Aucune condition ne s'applique à l'accès et à l'utilisation",
        },
        {
            "en": "No conditions apply to access and use.",
            "fr": "L'accès et l'utilisation ne sont soumis à aucune condition.",
        },
    )
    _concept(
        g,
        scheme,
        f"{B.INSPIRE_CONDITIONS}/conditionsUnknown",
        "conditionsUnknown",
        {"en": "Conditions to access and use unknown", "fr": "Conditions d'accès et d'utilisation inconnues"},
        {
            "en": "Conditions to access and use are unknown.",
            "fr": "Les conditions d'accès et d'utilisation ne sont pas connues.",
        },
    )
    return g


def build_all(standards: Path) -> dict[str, str]:
    """Every bundled file name and its Turtle text."""
    graphs = {
        "inspire-themes.ttl": inspire_themes(standards),
        "iso-topic-categories.ttl": iso_topics(),
        "datacite-resource-types.ttl": datacite(
            "resourceTypeGeneral",
            B.DATACITE_RESOURCE_TYPES,
            {
                "en": "DataCite resource types (resourceTypeGeneral)",
                "fr": "Types de ressources DataCite (resourceTypeGeneral)",
            },
            RESOURCE_TYPES_FR,
        ),
        "datacite-contributor-types.ttl": datacite(
            "contributorType",
            B.DATACITE_CONTRIBUTOR_TYPES,
            {"en": "DataCite contributor types", "fr": "Types de contributeurs DataCite"},
            CONTRIBUTOR_TYPES_FR,
        ),
        "datacite-relation-types.ttl": datacite(
            "relationType",
            B.DATACITE_RELATION_TYPES,
            {"en": "DataCite relation types", "fr": "Types de relations DataCite"},
            RELATION_TYPES_FR,
        ),
        "licences.ttl": licences(),
        "languages.ttl": languages(),
        "inspire-limitations.ttl": inspire_limitations(),
        "inspire-conditions.ttl": inspire_conditions(),
    }
    header = "# Generated by vocabularies/data/build_bundled.py; do not edit by hand.\n"
    return {name: header + g.serialize(format="turtle") for name, g in graphs.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--standards", type=Path, default=DEFAULT_STANDARDS)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    files = build_all(args.standards)
    OUT.mkdir(exist_ok=True)
    stale = []
    for name, text in files.items():
        path = OUT / name
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date:", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
