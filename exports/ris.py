"""RIS (Research Information Systems) citation records, what Zotero, EndNote and Mendeley import.

Tags follow the RIS specification as reference managers read it (``TY  - DATA`` for a dataset,
one ``AU`` per creator, ``ER  -`` closing the record); each line is ``TAG  - value``.
"""

from __future__ import annotations

from typing import Any

import schemas
from exports.citation import _identifier_url
from exports.datacite import doi_of, publication_year
from exports.registry import Format, register


def _line(tag: str, value: Any) -> str:
    # A value never spans lines: a newline would start a bogus tag in every RIS reader.
    return f"{tag}  - {' '.join(str(value).split())}"


def write_ris(document: dict[str, Any]) -> bytes:
    """One ``TY  - DATA`` record, CRLF line ends (the RIS convention), UTF-8."""
    md = document.get("metadata") or {}
    lines = [_line("TY", "DATA")]
    for c in md.get("creators") or []:
        if c.get("family_name"):
            name = c["family_name"] + (f", {c['given_name']}" if c.get("given_name") else "")
        else:
            name = c.get("name", "")
        if name:
            lines.append(_line("AU", name))
    lines.append(_line("TI", schemas.display_title(md)))
    lines.append(_line("PY", publication_year(document)))
    if document.get("publication_date"):
        lines.append(_line("DA", str(document["publication_date"])[:10].replace("-", "/")))
    publisher = (md.get("publisher") or {}).get("name")
    if publisher:
        lines.append(_line("PB", publisher))
    if md.get("version"):
        lines.append(_line("ET", md["version"]))
    doi = doi_of(document)
    if doi:
        lines.append(_line("DO", doi))
    url = _identifier_url(document)
    if url:
        lines.append(_line("UR", url))
    for a in (md.get("abstracts") or [])[:1]:
        lines.append(_line("AB", a.get("text", "")))
    for g in md.get("keywords") or []:
        for t in g.get("terms") or []:
            lines.append(_line("KW", t.get("term", "")))
    for k in md.get("free_keywords") or []:
        lines.append(_line("KW", k.get("term", "")))
    if md.get("languages"):
        lines.append(_line("LA", md["languages"][0]))
    lines.append("ER  - ")
    return ("\r\n".join(lines) + "\r\n").encode()


RIS = register(
    Format(
        name="ris",
        title="RIS (reference managers)",
        media_type="application/x-research-info-systems",
        extension="ris",
        writer=write_ris,
    )
)
