"""SWORD v2 documents: the Atom entry read from depositors (Dublin Core terms mapped onto the
canonical metadata), and the service document, deposit receipt, statements and error
documents written back (SWORD 2.0 profile, http://swordapp.github.io/SWORDv2-Profile/SWORDProfile.html).

Plain functions over plain values: the views in ``app/sword/__init__.py`` pass what they read
from the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from app.services.errors import InvalidInput
from exports.registry import ImportError_
from exports.xmlutil import safe_parse
from schemas import FieldError

ATOM = "http://www.w3.org/2005/Atom"
APP = "http://www.w3.org/2007/app"
SWORD = "http://purl.org/net/sword/terms/"
DCTERMS = "http://purl.org/dc/terms/"
ORE = "http://www.openarchives.org/ore/terms/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NSMAP = {None: ATOM, "sword": SWORD, "dcterms": DCTERMS}

PACKAGE_SIMPLEZIP = "http://purl.org/net/sword/package/SimpleZip"
PACKAGE_BAGIT = "http://purl.org/net/sword/package/BagIt"
PACKAGE_BINARY = "http://purl.org/net/sword/package/Binary"
PACKAGINGS = (PACKAGE_SIMPLEZIP, PACKAGE_BAGIT, PACKAGE_BINARY)

#: SWORD 2.0 §12 error URIs.
ERROR_CONTENT = "http://purl.org/net/sword/error/ErrorContent"
ERROR_CHECKSUM = "http://purl.org/net/sword/error/ErrorChecksumMismatch"
ERROR_BAD_REQUEST = "http://purl.org/net/sword/error/ErrorBadRequest"
ERROR_TARGET_OWNER = "http://purl.org/net/sword/error/TargetOwnerUnknown"
ERROR_MEDIATION = "http://purl.org/net/sword/error/MediationNotAllowed"
ERROR_METHOD = "http://purl.org/net/sword/error/MethodNotAllowed"
ERROR_MAX_UPLOAD = "http://purl.org/net/sword/error/MaxUploadSizeExceeded"

#: DCMI Type vocabulary (and DataCite's own names) → DataCite resourceTypeGeneral.
_DC_TYPES = {
    "dataset": "Dataset",
    "collection": "Collection",
    "software": "Software",
    "image": "Image",
    "stillimage": "Image",
    "movingimage": "Audiovisual",
    "sound": "Sound",
    "text": "Text",
    "event": "Event",
    "interactiveresource": "InteractiveResource",
    "physicalobject": "PhysicalObject",
    "service": "Service",
    "model": "Model",
    "workflow": "Workflow",
}
_ACCESS_LEVELS = ("open", "embargoed", "restricted", "metadata_only")
_YEAR = re.compile(r"^(\d{4})")


@dataclass
class EntryMetadata:
    """What an Atom entry says: the canonical metadata it maps to, and what was not mapped."""

    metadata: dict[str, Any]
    unmapped: list[str] = field(default_factory=list)
    #: Fields filled by default, not said by the entry (dropped when an entry is merged in).
    defaulted: set[str] = field(default_factory=set)


def _agent(text: str) -> dict[str, Any]:
    """``Family, Given`` is a person (DataCite creatorName convention); anything else an
    organisation, unless it looks like ``Given Family`` is impossible to tell: we keep the
    name as given, as a person only when it has the comma form."""
    family, sep, given = text.partition(",")
    if sep and family.strip() and given.strip():
        return {"type": "Personal", "family_name": family.strip(), "given_name": given.strip()}
    return {"type": "Organizational", "name": text}


def parse_entry(data: bytes, *, depositor_email: str, depositor_name: str) -> EntryMetadata:
    """Map an Atom entry carrying Dublin Core terms onto the canonical metadata (see
    docs/sword.md for the table). The depositor becomes the point of contact unless the entry
    names one (``dcterms:mediator`` is not a contact; SWORD entries have no e-mail field)."""
    try:
        root = safe_parse(data)
    except ImportError_ as exc:
        raise InvalidInput("the Atom entry is not readable XML", [FieldError("/entry", [str(exc)])]) from None
    if root.tag != f"{{{ATOM}}}entry":
        raise InvalidInput(
            "the body is not an Atom entry",
            [FieldError("/entry", [f"root element is {root.tag}, not atom:entry"])],
        )

    def texts(ns: str, name: str) -> list[str]:
        return [
            " ".join((e.text or "").split())
            for e in root.findall(f"{{{ns}}}{name}")
            if (e.text or "").strip()
        ]

    metadata: dict[str, Any] = {}
    unmapped: list[str] = []
    titles = texts(DCTERMS, "title") or texts(ATOM, "title")
    if titles:
        metadata["titles"] = [{"text": titles[0]}] + [
            {"text": t, "type": "AlternativeTitle"} for t in titles[1:]
        ]
    for alt in texts(DCTERMS, "alternative"):
        metadata.setdefault("titles", []).append({"text": alt, "type": "AlternativeTitle"})
    abstracts = texts(DCTERMS, "abstract") or texts(DCTERMS, "description") or texts(ATOM, "summary")
    if abstracts:
        metadata["abstracts"] = [{"text": abstracts[0]}]
        extra = abstracts[1:] + (texts(DCTERMS, "description") if texts(DCTERMS, "abstract") else [])
        if extra:
            metadata["descriptions"] = [{"text": t, "type": "Other"} for t in extra]
    creators = texts(DCTERMS, "creator") or [
        " ".join((n.text or "").split()) for n in root.findall(f"{{{ATOM}}}author/{{{ATOM}}}name") if n.text
    ]
    if creators:
        metadata["creators"] = [_agent(c) for c in creators]
    contributors = texts(DCTERMS, "contributor")
    if contributors:
        metadata["contributors"] = [_agent(c) | {"contributor_type": "Other"} for c in contributors]
    publishers = texts(DCTERMS, "publisher")
    if publishers:
        metadata["publisher"] = {"name": publishers[0]}
        unmapped += [f"dcterms:publisher: {p}" for p in publishers[1:]]
    subjects = texts(DCTERMS, "subject")
    if subjects:
        metadata["free_keywords"] = [{"term": s} for s in subjects]
    languages = texts(DCTERMS, "language")
    if languages:
        metadata["languages"] = languages
    for value in texts(DCTERMS, "type"):
        general = _DC_TYPES.get(value.rsplit("/", 1)[-1].replace(" ", "").lower())
        if general and "resource_type" not in metadata:
            metadata["resource_type"] = {"general": general}
        elif "resource_type" not in metadata:
            metadata["resource_type"] = {"general": "Dataset", "name": value}
    dates = texts(DCTERMS, "issued") or texts(DCTERMS, "date")
    if dates:
        year = _YEAR.match(dates[0])
        if year:
            metadata["publication_year"] = int(year.group(1))
    created = texts(DCTERMS, "created")
    if created:
        metadata["dates"] = [{"date": created[0], "type": "Created"}]
    identifiers = texts(DCTERMS, "identifier")
    if identifiers:
        metadata["alternate_identifiers"] = [{"identifier": i, "scheme": "local"} for i in identifiers]
    rights: dict[str, Any] = {}
    licenses = texts(DCTERMS, "license")
    if licenses:
        rights["license"] = _license(licenses[0])
    access = texts(DCTERMS, "accessRights")
    defaulted = set() if access else {"rights/access_level"}
    level = access[0].strip().lower().replace("-", "_").replace(" ", "_") if access else "open"
    if level not in _ACCESS_LEVELS:
        raise InvalidInput(
            "unknown access level",
            [FieldError("/entry/dcterms:accessRights", [f"must be one of {', '.join(_ACCESS_LEVELS)}"])],
        )
    rights["access_level"] = level
    embargo = texts(DCTERMS, "available")
    if embargo:
        rights["embargo_until"] = embargo[0]
    statements = texts(DCTERMS, "rights")
    if statements:
        rights["use_constraints"] = [{"text": s} for s in statements]
    metadata["rights"] = rights
    if "resource_type" not in metadata:
        metadata["resource_type"] = {"general": "Dataset"}
        defaulted.add("resource_type")
    defaulted.add("contacts")
    metadata["contacts"] = [depositor_contact(depositor_email, depositor_name)]
    for element in root:
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        if qname.namespace == DCTERMS and qname.localname not in _MAPPED_DC:
            unmapped.append(f"dcterms:{qname.localname}: not mapped")
    return EntryMetadata(metadata, unmapped, defaulted)


def depositor_contact(email: str, name: str) -> dict[str, Any]:
    """The depositing user as the point of contact (the profile requires one with an e-mail)."""
    return {"type": "Personal", "name": name or email, "email": email}


_MAPPED_DC = frozenset(
    {
        "title",
        "alternative",
        "abstract",
        "description",
        "creator",
        "contributor",
        "publisher",
        "subject",
        "language",
        "type",
        "issued",
        "date",
        "created",
        "identifier",
        "license",
        "accessRights",
        "available",
        "rights",
    }
)


def _license(value: str) -> dict[str, Any]:
    """An SPDX id (``CC-BY-4.0``) or an SPDX/Creative Commons URL is an id; anything else a name."""
    from vocabularies import controlled

    candidate = value.rstrip("/").rsplit("/", 1)[-1] if value.startswith("http") else value
    if "creativecommons.org/licenses/" in value:
        parts = value.rstrip("/").split("/")
        try:
            i = parts.index("licenses")
            candidate = f"CC-{parts[i + 1].upper()}-{parts[i + 2]}"
        except (ValueError, IndexError):
            pass
    candidate = candidate.removesuffix(".html")
    found = controlled.spdx_license(candidate)
    if found is not None and not found["deprecated"]:
        return {"id": found["id"]}
    if value.startswith(("http://", "https://")):
        return {"name": value, "uri": value}
    return {"name": value}


# -- documents written -----------------------------------------------------------------------


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def _sub(parent: etree._Element, ns: str, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{name}", {k: v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


@dataclass
class Collection:
    href: str
    title: str
    abstract: str
    policy: str


def service_document(
    *, repository: str, max_upload_kb: int, collections: list[Collection], mediation: bool
) -> bytes:
    """The service document (SWORD 2.0 §6.1): one collection per community, each with
    ``accept``, ``sword:mediation`` and ``sword:acceptPackaging`` (clients skip collections
    without them). Multipart deposit is not offered."""
    root = etree.Element(
        f"{{{APP}}}service", nsmap={None: APP, "atom": ATOM, "sword": SWORD, "dcterms": DCTERMS}
    )
    _sub(root, SWORD, "version", "2.0")
    _sub(root, SWORD, "maxUploadSize", str(max_upload_kb))
    workspace = _sub(root, APP, "workspace")
    _sub(workspace, ATOM, "title", repository)
    for c in collections:
        element = _sub(workspace, APP, "collection", href=c.href)
        _sub(element, ATOM, "title", c.title)
        _sub(element, APP, "accept", "*/*")
        # Multipart deposits (entry + payload in one multipart/related request) are accepted.
        _sub(element, APP, "accept", "*/*", alternate="multipart-related")
        _sub(element, SWORD, "collectionPolicy", c.policy)
        if c.abstract:
            _sub(element, DCTERMS, "abstract", c.abstract)
        _sub(element, SWORD, "mediation", "true" if mediation else "false")
        _sub(element, SWORD, "treatment", TREATMENT)
        for packaging in PACKAGINGS:
            _sub(element, SWORD, "acceptPackaging", packaging)
    return _xml(root)


TREATMENT = (
    "Stored as a draft of the community's repository. With In-Progress: false it is submitted to "
    "the community's moderators, who accept (it is then published) or ask for changes."
)


@dataclass
class Deposit:
    """What a receipt and a statement say about one record version."""

    record_id: str
    title: str
    state: str
    updated: str
    owner_email: str
    links: dict[str, str]  # edit, edit_media, statement_atom, statement_ore, alternate
    dc: list[tuple[str, str]]  # (dcterms local name, value)
    files: list[dict[str, Any]]  # key, url, mimetype, created, size
    state_description: str


def receipt(d: Deposit) -> bytes:
    """The deposit receipt (SWORD 2.0 §10): Edit-IRI, EM-IRI, SE-IRI, statements, treatment."""
    root = etree.Element(f"{{{ATOM}}}entry", nsmap=NSMAP)
    _sub(root, ATOM, "id", d.links["edit"])
    _sub(root, ATOM, "title", d.title or "(untitled)")
    _sub(root, ATOM, "updated", d.updated)
    author = _sub(root, ATOM, "author")
    _sub(author, ATOM, "name", d.owner_email)
    _sub(root, ATOM, "summary", f"record {d.record_id}: {d.state}", type="text")
    _sub(root, ATOM, "content", type="application/zip", src=d.links["edit_media"])
    _sub(root, ATOM, "link", rel="edit", href=d.links["edit"])
    _sub(root, ATOM, "link", rel="edit-media", href=d.links["edit_media"])
    _sub(root, ATOM, "link", rel=SWORD + "add", href=d.links["edit"])
    _sub(root, ATOM, "link", rel="alternate", href=d.links["alternate"])
    _sub(
        root,
        ATOM,
        "link",
        rel=SWORD + "statement",
        type="application/atom+xml;type=feed",
        href=d.links["statement_atom"],
    )
    _sub(
        root, ATOM, "link", rel=SWORD + "statement", type="application/rdf+xml", href=d.links["statement_ore"]
    )
    _sub(root, SWORD, "packaging", PACKAGE_SIMPLEZIP)
    _sub(root, SWORD, "treatment", TREATMENT)
    _sub(root, ATOM, "category", scheme=SWORD + "state", term=d.state, label=d.state_description)
    for name, value in d.dc:
        _sub(root, DCTERMS, name, value)
    return _xml(root)


def statement_atom(d: Deposit) -> bytes:
    """The Atom statement (SWORD 2.0 §11.1): the state as a category, one entry per file."""
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM, "sword": SWORD})
    _sub(root, ATOM, "id", d.links["statement_atom"])
    _sub(root, ATOM, "title", d.title or "(untitled)")
    _sub(root, ATOM, "updated", d.updated)
    author = _sub(root, ATOM, "author")
    _sub(author, ATOM, "name", d.owner_email)
    _sub(root, ATOM, "link", rel="self", href=d.links["statement_atom"])
    _sub(
        root, ATOM, "category", scheme=SWORD + "state", term=d.links["state"], label="State"
    ).text = d.state_description
    for f in d.files:
        entry = _sub(root, ATOM, "entry")
        _sub(entry, ATOM, "id", f["url"])
        _sub(entry, ATOM, "title", f["key"])
        _sub(entry, ATOM, "updated", f["created"])
        _sub(entry, ATOM, "summary", f"{f['size']} bytes", type="text")
        _sub(entry, ATOM, "content", type=f["mimetype"], src=f["url"])
        _sub(entry, ATOM, "category", scheme=SWORD, term=SWORD + "originalDeposit", label="Orignal Deposit")
        _sub(entry, SWORD, "depositedOn", f["created"])
        _sub(entry, SWORD, "depositedBy", d.owner_email)
    return _xml(root)


def statement_ore(d: Deposit) -> bytes:
    """The OAI-ORE resource map statement (SWORD 2.0 §11.2)."""
    r = f"{{{RDF}}}resource"
    about = f"{{{RDF}}}about"
    root = etree.Element(f"{{{RDF}}}RDF", nsmap={"rdf": RDF, "ore": ORE, "sword": SWORD, "dcterms": DCTERMS})
    rem = _sub(root, RDF, "Description", **{about: d.links["statement_ore"]})
    _sub(rem, ORE, "describes", **{r: d.links["edit"]})
    agg = _sub(root, RDF, "Description", **{about: d.links["edit"]})
    _sub(agg, ORE, "isDescribedBy", **{r: d.links["statement_ore"]})
    for f in d.files:
        _sub(agg, ORE, "aggregates", **{r: f["url"]})
        _sub(agg, SWORD, "originalDeposit", **{r: f["url"]})
    _sub(agg, SWORD, "state", **{r: d.links["state"]})
    state = _sub(root, RDF, "Description", **{about: d.links["state"]})
    _sub(state, SWORD, "stateDescription", d.state_description)
    for f in d.files:
        desc = _sub(root, RDF, "Description", **{about: f["url"]})
        _sub(desc, SWORD, "depositedOn", f["created"])
        _sub(desc, SWORD, "depositedBy", d.owner_email)
    return _xml(root)


def error_document(*, uri: str, summary: str, detail: str, updated: str) -> bytes:
    """A SWORD error document (SWORD 2.0 §12): ``sword:error`` with the error URI in ``href``,
    a one-line ``atom:summary`` and the details (the fields at fault) in ``sword:verboseDescription``."""
    root = etree.Element(f"{{{SWORD}}}error", {"href": uri}, nsmap={None: ATOM, "sword": SWORD})
    _sub(root, ATOM, "title", "ERROR")
    _sub(root, ATOM, "updated", updated)
    generator = _sub(root, ATOM, "generator", uri="https://github.com/alluvium", version="1")
    generator.text = "Alluvium SWORD v2"
    _sub(root, ATOM, "summary", summary)
    _sub(root, SWORD, "treatment", "processing failed; nothing was stored")
    _sub(root, SWORD, "verboseDescription", detail or summary)
    _sub(root, ATOM, "link", rel="alternate", href=uri, type="text/html")
    return _xml(root)
