"""Helpers for the OAI-PMH tests: records published through the real workflow, response
validation against OAI-PMH.xsd together with the payload schemas, and response parsing."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from flask import Flask
from lxml import etree

from app.db import new_session
from app.pid import provider_from_config
from app.services import accounts, jobs
from app.services import records as svc
from curation import Actor
from curation.checks import COMPANION_SCHEMAS
from exports.registry import formats
from exports.xmlutil import xml_schema
from schemas.examples import minimal_example

OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {"o": OAI}
OAI_SCHEMAS = (
    (OAI, "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"),
    (
        "http://www.openarchives.org/OAI/2.0/oai-identifier",
        "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd",
    ),
    ("http://www.openarchives.org/OAI/2.0/oai_dc/", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"),
)
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
# RDF/XML has no XML Schema, yet the OAI envelope's strict wildcard needs a declaration for the
# dcat payload's root: tests/data/rdf-standin.xsd declares rdf:RDF with lax content (the RDF itself
# is checked with rdflib and the DCAT-AP SHACL shapes in the export tests).
RDF_STANDIN = str(Path(__file__).parent / "data" / "rdf-standin.xsd")


def payload_imports(root: etree._Element) -> tuple[tuple[str, str], ...]:
    """OAI-PMH.xsd plus the schema of every payload namespace present in the response."""
    imports = dict(OAI_SCHEMAS)
    present = {etree.QName(el).namespace for el in root.iter() if isinstance(el.tag, str)}
    for fmt in formats():
        if fmt.is_xml and fmt.namespace in present and fmt.namespace not in imports:
            imports[fmt.namespace] = fmt.schema_location or RDF_STANDIN
    for namespace, location in COMPANION_SCHEMAS.items():
        if namespace in present and namespace not in imports:
            imports[namespace] = location
    return tuple(imports.items())


def validate(body: bytes) -> etree._Element:
    """Parse an OAI-PMH response and assert it is valid against the official schemas."""
    root = etree.fromstring(body)
    errors = []
    schema = xml_schema(payload_imports(root))
    if not schema.validate(root):
        errors = [f"line {e.line}: {e.message}" for e in schema.error_log][:10]
    assert not errors, errors
    return root


def error_code(root: etree._Element) -> str | None:
    el = root.find("o:error", NS)
    return el.get("code") if el is not None else None


class Repo:
    """Publishes records through the real workflow (draft → submit → assign → accept → publish)."""

    def __init__(self, app: Flask):
        self.app = app
        with new_session(app) as s:
            system = Actor.system_actor()
            for slug in ("aeris", "odatis"):
                accounts.create_community(s, system, slug, slug.upper())
            policy = accounts.PasswordPolicy(1, 1024)
            self.producer = accounts.create_user(s, system, "producer@example.org", policy=policy)
            self.moderator = accounts.create_user(
                s, system, "mod@example.org", role="moderator", communities=["aeris", "odatis"], policy=policy
            )
            self.admin = accounts.create_user(s, system, "admin@example.org", role="admin", policy=policy)
            s.commit()
            self.p = accounts.actor_for(self.producer)
            self.m = accounts.actor_for(self.moderator)
            self.a = accounts.actor_for(self.admin)

    def metadata(self, n: int, **changes: Any) -> dict[str, Any]:
        md = copy.deepcopy(minimal_example())
        md["titles"] = [{"text": f"Test dataset {n}"}]
        md.update(changes)
        return md

    def publish(self, n: int = 0, community: str = "aeris", metadata: dict[str, Any] | None = None) -> str:
        with self.app.app_context(), new_session(self.app) as s:
            record = svc.create_draft(s, self.p, metadata or self.metadata(n))
            rid = record.id
            svc.submit(s, self.p, rid, community=community)
            svc.assign(s, self.m, rid)
            svc.accept(s, self.m, rid)
            jobs.take_enqueued(s)
            svc.publish(s, rid, provider_from_config(self.app.config), self.app.config["BASE_URL"])
            s.commit()
        return rid

    def withdraw(self, rid: str) -> None:
        with self.app.app_context(), new_session(self.app) as s:
            svc.withdraw(s, self.a, rid, reason="duplicate")
            s.commit()

    def new_version(self, rid: str, n: int) -> str:
        with self.app.app_context(), new_session(self.app) as s:
            draft = svc.new_version(s, self.p, rid)
            new = draft.id
            svc.update_draft(s, self.p, new, metadata=self.metadata(n), expected_revision=draft.revision)
            svc.submit(s, self.p, new)
            svc.assign(s, self.m, new)
            svc.accept(s, self.m, new)
            jobs.take_enqueued(s)
            svc.publish(s, new, provider_from_config(self.app.config), self.app.config["BASE_URL"])
            s.commit()
        return new
