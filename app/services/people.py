"""People and organisations for the deposit form: look-ups in ORCID's and ROR's public APIs, and
the people and organisations a producer already entered in their own records.

The identifiers are checked by the schemas' own rules (``vocabularies.identifiers``: ORCID check
digit, ROR checksum) before any request leaves; the public APIs are asked with a short timeout,
and an unreachable or failing service is a clear error (HTTP 502/504), never an empty answer.

- ORCID public API v3.0: ``GET {ORCID_API_URL}/{orcid}/record`` (``Accept: application/json``):
  ``person.name`` (given names, family name) and ``activities-summary.employments`` (current
  employers, with their ROR id when ORCID has one).
- ROR REST API v2: ``GET {ROR_API_URL}/organizations/{id}``: ``names`` (the ``ror_display`` one,
  and a label in the interface language when there is one), ``status``. A funder's Crossref
  Funder ID (``10.13039/<n>``) is looked up in ROR too, by the external identifier ROR records for
  it: ``GET {ROR_API_URL}/organizations?query.advanced=external_ids.all:<n>``, keeping only an
  organisation whose ``external_ids`` has that ``fundref`` value.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Record
from app.services.errors import NotFound, ServiceError, field_error
from curation import Actor
from vocabularies import identifiers


class LookupUnavailable(ServiceError):
    """The public service could not be reached or answered with an error."""

    status = 502


class LookupTimeout(LookupUnavailable):
    status = 504


def _get(url: str, service: str, timeout: float) -> dict[str, Any] | None:
    """The JSON at ``url``; None for 404. Raises :class:`LookupUnavailable` otherwise."""
    try:
        response = requests.get(url, headers={"Accept": "application/json"}, timeout=timeout)
    except requests.Timeout:
        raise LookupTimeout(
            f"{service} did not answer within {timeout:g} s; type the details instead"
        ) from None
    except requests.RequestException:
        raise LookupUnavailable(
            f"{service} cannot be reached from this server; type the details instead"
        ) from None
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise LookupUnavailable(f"{service} answered HTTP {response.status_code}; type the details instead")
    try:
        body = response.json()
    except ValueError:
        raise LookupUnavailable(f"{service} sent an unreadable answer; type the details instead") from None
    return body if isinstance(body, dict) else None


def _value(node: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def orcid_person(base_url: str, value: str, *, timeout: float) -> dict[str, Any]:
    """Name and current affiliations of an ORCID iD (``/orcid`` names the field when it is
    malformed; 404 when ORCID does not know it)."""
    try:
        orcid = identifiers.normalize_orcid(value)
    except ValueError as exc:
        raise field_error("/orcid", str(exc)) from None
    record = _get(f"{base_url.rstrip('/')}/{orcid}/record", "ORCID", timeout)
    if record is None:
        raise NotFound(f"ORCID has no record {orcid}")
    name = _value(record, "person", "name") or {}
    given = _value(name, "given-names", "value")
    family = _value(name, "family-name", "value")
    affiliations = []
    for group in _value(record, "activities-summary", "employments", "affiliation-group") or []:
        for summary in group.get("summaries") or []:
            job = summary.get("employment-summary") or {}
            if job.get("end-date"):
                continue  # a past employer is not an affiliation of this dataset
            org = job.get("organization") or {}
            ror = None
            disambiguated = org.get("disambiguated-organization") or {}
            if disambiguated.get("disambiguation-source") == "ROR":
                try:
                    ror = identifiers.normalize_ror(
                        disambiguated.get("disambiguated-organization-identifier", "")
                    )
                except ValueError:
                    ror = None
            if org.get("name") and all(a["name"] != org["name"] for a in affiliations):
                affiliations.append({"name": org["name"], "ror": ror})
    return {
        "orcid": orcid,
        "given_name": given,
        "family_name": family,
        "name": ", ".join(p for p in (family, given) if p) or None,
        "affiliations": affiliations,
    }


def is_crossref_funder_id(value: str) -> bool:
    """Whether ``value`` is written as a Crossref Funder ID (a DOI of prefix 10.13039)."""
    return "10.13039/" in value


def _fundref_organisation(base_url: str, value: str, timeout: float) -> dict[str, Any]:
    """The ROR organisation recording the Crossref Funder ID ``value`` (404 when none)."""
    from schemas.metadata import normalize_funder_identifier

    try:
        funder_id = normalize_funder_identifier("Crossref Funder ID", value.strip())
    except ValueError as exc:
        raise field_error("/ror", str(exc)) from None
    number = funder_id.rsplit("/", 1)[-1]
    query = quote(f"external_ids.all:{number}", safe=":")
    found = _get(f"{base_url.rstrip('/')}/organizations?query.advanced={query}", "ROR", timeout) or {}
    for org in found.get("items") or []:
        for ext in org.get("external_ids") or []:
            if ext.get("type") == "fundref" and number in (ext.get("all") or []):
                return {**org, "_funder_id": funder_id}
    raise NotFound(f"ROR has no funder with the Crossref Funder ID {funder_id}")


def ror_organisation(base_url: str, value: str, *, lang: str | None, timeout: float) -> dict[str, Any]:
    """The name of a ROR organisation (in ``lang`` when ROR has a label in it), found by its ROR
    id or, for a funder, by its Crossref Funder ID (then ``funder_identifier`` is that ID and
    ``funder_identifier_type`` says so; for a ROR id they are the ROR id and ``ROR``)."""
    if is_crossref_funder_id(value):
        org = _fundref_organisation(base_url, value, timeout)
        ror = str(org.get("id") or "")
        funder = (org["_funder_id"], "Crossref Funder ID")
    else:
        try:
            ror = identifiers.normalize_ror(value)
        except ValueError as exc:
            raise field_error("/ror", str(exc)) from None
        found = _get(f"{base_url.rstrip('/')}/organizations/{ror.rsplit('/', 1)[-1]}", "ROR", timeout)
        if found is None:
            raise NotFound(f"ROR has no organisation {ror}")
        org, funder = found, (ror, "ROR")
    names = org.get("names") or []
    display = next((n["value"] for n in names if "ror_display" in (n.get("types") or [])), None)
    local = next(
        (n["value"] for n in names if lang and n.get("lang") == lang and "label" in (n.get("types") or [])),
        None,
    )
    acronym = next((n["value"] for n in names if "acronym" in (n.get("types") or [])), None)
    return {
        "ror": ror,
        "name": local or display,
        "display_name": display,
        "acronym": acronym,
        "status": org.get("status"),
        "funder_identifier": funder[0],
        "funder_identifier_type": funder[1],
    }


_AGENT_LISTS = ("creators", "contributors", "contacts")


def known_agents(session: Session, actor: Actor, *, limit: int = 300) -> list[dict[str, Any]]:
    """The people and organisations in the actor's own records (newest first, each once by
    name), as entered: type, names, identifiers, affiliations, e-mail (contacts)."""
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    rows = session.scalars(
        select(Record).where(Record.owner_id == actor.user_id).order_by(Record.updated_at.desc()).limit(500)
    )
    keys = ("type", "name", "given_name", "family_name", "identifiers", "affiliations", "email")
    for record in rows:
        md = record.metadata_ or {}
        agents = [a for key in _AGENT_LISTS for a in md.get(key) or [] if isinstance(a, dict)]
        for agent in agents:
            name = agent.get("name") or ", ".join(
                p for p in (agent.get("family_name"), agent.get("given_name")) if p
            )
            if not name or name in seen:
                continue
            seen.add(name)
            out.append({**{k: agent[k] for k in keys if agent.get(k)}, "name": name})
            if len(out) >= limit:
                return out
    return out
