"""The link with DMP OPIDoR (https://dmp.opidor.fr), the French DMP service (docs/dmp.md).

DMP OPIDoR's API v1 (its ``app/controllers/api/v1``):

- ``POST /api/v1/authenticate`` with ``{"grant_type": "client_credentials", "client_id",
  "client_secret"}`` gives ``{"access_token", "token_type": "Bearer", "expires_in"}``;
- ``GET /api/v1/madmp/plans/{id}?export_format=rda`` serves a plan as maDMP (its 1.1 shape);
- ``POST /api/v1/madmp/plans/import?import_format=rda`` with ``{"data": <maDMP>}`` creates a
  new plan and answers 201 ``{"status", "message", "data"}``. There is no update-in-place
  endpoint: pushing a plan back always creates a new plan in DMP OPIDoR, whose id we keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from sqlalchemy.orm import Session

from app.services import dmps
from app.services.errors import Conflict, ServiceError
from curation import Actor
from exports import madmp


class OpidorError(ServiceError):
    """DMP OPIDoR refused or could not be reached (502: the fault is upstream)."""

    status = 502


class OpidorNotConfigured(ServiceError):
    status = 503


@dataclass
class OpidorClient:
    base_url: str
    client_id: str
    client_secret: str
    timeout: float = 20.0

    def _token(self) -> str:
        try:
            r = requests.post(
                f"{self.base_url}/api/v1/authenticate",
                json={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                },
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise OpidorError(f"DMP OPIDoR cannot be reached: {exc.__class__.__name__}") from None
        if r.status_code != 200:
            raise OpidorError(f"DMP OPIDoR refused our credentials (HTTP {r.status_code})")
        token = (r.json() or {}).get("access_token")
        if not token:
            raise OpidorError("DMP OPIDoR gave no access token")
        return token

    def fetch(self, plan_id: str) -> bytes:
        """The plan as DMP OPIDoR exports it (``export_format=rda``)."""
        token = self._token()
        try:
            r = requests.get(
                f"{self.base_url}/api/v1/madmp/plans/{requests.utils.quote(plan_id, safe='')}",
                params={"export_format": "rda"},
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise OpidorError(f"DMP OPIDoR cannot be reached: {exc.__class__.__name__}") from None
        if r.status_code == 404:
            raise OpidorError(f"DMP OPIDoR has no plan {plan_id!r} that our client may read")
        if r.status_code != 200:
            raise OpidorError(f"DMP OPIDoR answered HTTP {r.status_code} for plan {plan_id!r}")
        return r.content

    def push(self, document: dict[str, Any], locale: str = "fr_FR") -> dict[str, Any]:
        """Send a maDMP 1.1 document to the import endpoint; returns DMP OPIDoR's answer."""
        token = self._token()
        try:
            r = requests.post(
                f"{self.base_url}/api/v1/madmp/plans/import",
                params={"import_format": "rda", "locale": locale},
                json={"data": document},
                headers={"Authorization": f"Bearer {token}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise OpidorError(f"DMP OPIDoR cannot be reached: {exc.__class__.__name__}") from None
        if r.status_code not in (200, 201):
            try:
                detail = r.json().get("message") or r.json().get("errors")
            except ValueError:
                detail = r.text[:200]
            raise OpidorError(f"DMP OPIDoR refused the plan (HTTP {r.status_code}): {detail}")
        return r.json()


def client_from_config(config: Any) -> OpidorClient:
    if not config.get("DMP_OPIDOR_CLIENT_ID"):
        raise OpidorNotConfigured("the DMP OPIDoR link is not configured (DMP_OPIDOR_CLIENT_ID)")
    return OpidorClient(
        config["DMP_OPIDOR_URL"].rstrip("/"),
        config["DMP_OPIDOR_CLIENT_ID"],
        config.get("DMP_OPIDOR_CLIENT_SECRET", ""),
        float(config.get("DMP_OPIDOR_TIMEOUT", 20)),
    )


def import_from_opidor(
    session: Session, actor: Actor, client: OpidorClient, plan_id: str, base_url: str
) -> dmps.Imported:
    """Fetch DMP OPIDoR plan ``plan_id`` and import it (refused, nothing written, if invalid)."""
    body = client.fetch(plan_id)
    return dmps.import_plan(session, actor, body, base_url, source=f"dmp-opidor:{plan_id}")


def push_to_opidor(session: Session, actor: Actor, client: OpidorClient, dmp_id: str) -> dict[str, Any]:
    """Send the plan (1.1 shape) to DMP OPIDoR's import endpoint. DMP OPIDoR creates a new plan
    each time; we record its id as the plan's source and in the history."""
    dmp = dmps.get_plan(session, actor, dmp_id, dmps.EDIT)
    document, dropped = madmp.export_madmp(dmp.plan, "1.1")
    answer = client.push(document)
    data = answer.get("data") if isinstance(answer, dict) else None
    new_id = None
    if isinstance(data, dict):
        new_id = data.get("id") or data.get("plan_id") or (data.get("dmp") or {}).get("id")
    if new_id is None:
        raise Conflict("DMP OPIDoR accepted the plan but gave no plan id")
    previous = dmp.source
    dmp.source = f"dmp-opidor:{new_id}"
    session.flush()
    dmps.add_version(
        session,
        dmp,
        actor,
        "opidor-push",
        [],
        {"opidor_plan": str(new_id), "previous_source": previous, "dropped": dropped},
    )
    session.flush()
    return {"opidor_plan_id": str(new_id), "previous_source": previous, "dropped": dropped}
