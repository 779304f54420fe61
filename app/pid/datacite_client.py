"""A thin client of the DataCite REST API (JSON:API), with errors classified for retrying.

Why our own: the ``datacite`` package's ``DataCiteRESTClient`` maps 422 and 429 to one generic
``DataCiteServerError``, drops ``Retry-After`` and the response headers, and turns a timeout
into the same ``HttpError`` as a refused connection. Retrying safely needs all of that, so
this module speaks HTTP itself (``requests``); the ``datacite`` package still writes the XML
(``exports.datacite``).

Reference: https://support.datacite.org/docs/api (``PUT /dois/{doi}`` creates or updates,
events ``publish`` / ``register`` / ``hide``, errors as ``{"errors": [{"status", "title",
"source"}]}``).
"""

from __future__ import annotations

import base64
import email.utils
import time
from dataclasses import dataclass, field
from typing import Any

import requests

MEDIA_TYPE = "application/vnd.api+json"


class DataCiteError(Exception):
    """A DataCite call that did not succeed. ``transient`` ones are worth retrying."""

    transient = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers = dict(headers or {})
        self.errors = list(errors or [])

    @property
    def retry_after(self) -> float | None:
        """Seconds asked for by ``Retry-After`` (delta-seconds or an HTTP date), if any."""
        value = self.headers.get("Retry-After") or self.headers.get("retry-after")
        if not value:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(when.timestamp() - time.time(), 0.0)


class TransientError(DataCiteError):
    """Timeouts, connection errors, 5xx, 429: DataCite may accept the same request later."""

    transient = True


class PermanentError(DataCiteError):
    """4xx other than 429 (bad credentials, prefix not ours, metadata refused): retrying is useless."""


@dataclass
class DoiState:
    """What DataCite holds for one DOI."""

    doi: str
    state: str  # draft | registered | findable
    url: str | None = None
    xml: bytes | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


def classify(status: int, body: Any, headers: dict[str, str]) -> DataCiteError:
    """The error for a non-2xx answer, with DataCite's own messages (``errors[].title``)."""
    errors = body.get("errors") if isinstance(body, dict) else None
    errors = errors if isinstance(errors, list) else []
    titles = "; ".join(
        str(e.get("title") or e.get("detail") or "")
        + (f" ({e['source']})" if isinstance(e, dict) and e.get("source") else "")
        for e in errors
        if isinstance(e, dict)
    )
    message = f"DataCite answered {status}" + (f": {titles}" if titles else "")
    kind = TransientError if status == 429 or status >= 500 else PermanentError
    return kind(message, status=status, headers=headers, errors=errors)


class DataCiteClient:
    """``PUT``/``GET``/``DELETE /dois/{doi}`` and ``GET /dois?client-id=`` with Basic auth."""

    def __init__(
        self,
        api_url: str,
        username: str,
        password: str,
        *,
        timeout: float = 30.0,
        session: requests.Session | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.username = username
        self.timeout = timeout
        self.http = session or requests.Session()
        self.http.auth = (username, password)
        self.http.headers.update({"Accept": MEDIA_TYPE, "User-Agent": "Alluvium (DataCite client)"})

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> DataCiteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kw: Any) -> tuple[int, Any, dict[str, str]]:
        try:
            resp = self.http.request(method, self.api_url + path, timeout=self.timeout, **kw)
        except requests.Timeout as exc:
            # The request may have been applied: only an idempotent retry is safe (PUT is).
            raise TransientError(f"DataCite did not answer within {self.timeout:g} s ({exc})") from None
        except requests.ConnectionError as exc:
            raise TransientError(f"cannot reach DataCite at {self.api_url}: {exc}") from None
        try:
            body = resp.json() if resp.content else None
        except ValueError:
            body = None
        headers = dict(resp.headers)
        if resp.status_code >= 400:
            raise classify(resp.status_code, body, headers)
        return resp.status_code, body, headers

    def put_doi(
        self,
        doi: str,
        *,
        xml: bytes | None = None,
        url: str | None = None,
        event: str | None = None,
    ) -> DoiState:
        """Create or update ``doi`` (201 created, 200 updated); ``event`` moves its state."""
        attrs: dict[str, Any] = {"doi": doi}
        if xml is not None:
            attrs["xml"] = base64.b64encode(xml).decode("ascii")
        if url is not None:
            attrs["url"] = url
        if event is not None:
            attrs["event"] = event
        body = {"data": {"id": doi, "type": "dois", "attributes": attrs}}
        _, answer, _ = self._call("PUT", f"/dois/{doi}", json=body, headers={"Content-Type": MEDIA_TYPE})
        return _state(answer, doi)

    def get_doi(self, doi: str) -> DoiState | None:
        """What DataCite holds for ``doi``, or None when it does not know it (404)."""
        try:
            _, answer, _ = self._call("GET", f"/dois/{doi}")
        except PermanentError as exc:
            if exc.status == 404:
                return None
            raise
        return _state(answer, doi)

    def delete_doi(self, doi: str) -> None:
        """Delete a draft DOI (DataCite answers 405 for registered and findable ones)."""
        try:
            self._call("DELETE", f"/dois/{doi}")
        except PermanentError as exc:
            if exc.status != 404:
                raise

    def list_dois(self, prefix: str, *, page_size: int = 1000) -> list[DoiState]:
        """Every DOI of the repository account under ``prefix`` (``GET /dois``, paged)."""
        out: list[DoiState] = []
        page = 1
        while True:
            _, answer, _ = self._call(
                "GET",
                "/dois",
                params={
                    "client-id": self.username.lower(),
                    "prefix": prefix,
                    "page[size]": page_size,
                    "page[number]": page,
                    "state": "draft,registered,findable",
                },
            )
            items = (answer or {}).get("data") or []
            out += [_state({"data": item}, item.get("id", "")) for item in items]
            total_pages = ((answer or {}).get("meta") or {}).get("totalPages") or 1
            if page >= total_pages or not items:
                return out
            page += 1


def _state(answer: Any, doi: str) -> DoiState:
    data = (answer or {}).get("data") or {}
    attrs = data.get("attributes") or {}
    xml = attrs.get("xml")
    return DoiState(
        doi=(data.get("id") or attrs.get("doi") or doi).lower(),
        state=attrs.get("state") or "draft",
        url=attrs.get("url"),
        xml=base64.b64decode(xml) if xml else None,
        attributes=attrs,
    )
