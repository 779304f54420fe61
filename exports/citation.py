"""Citations: BibTeX, CSL-JSON and the DataCite recommended citation text.

DataCite's recommended data citation (DataCite Metadata Schema 4.x, "Citation"):
``Creator (PublicationYear). Title. Version. Publisher. Identifier`` with the DOI as an
``https://doi.org/`` URL. Without a DOI the landing page URL stands in for it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import schemas
from exports.datacite import doi_of, publication_year
from exports.registry import Format, register


def _identifier_url(document: dict[str, Any]) -> str | None:
    doi = doi_of(document)
    if doi:
        return f"https://doi.org/{doi}"
    return (document.get("links") or {}).get("self_html") or (
        (document.get("pids") or {}).get("local") or {}
    ).get("url")


def _creator_names(md: dict[str, Any]) -> list[str]:
    return [c.get("name") or c.get("family_name", "") for c in md.get("creators") or []]


def citation_text(document: dict[str, Any]) -> str:
    """The DataCite recommended citation of ``document`` as one line of plain text."""
    md = document.get("metadata") or {}
    parts = []
    creators = "; ".join(n for n in _creator_names(md) if n)
    parts.append(f"{creators} ({publication_year(document)}).".strip())
    title = schemas.display_title(md)
    parts.append(title if title.endswith((".", "?", "!")) else title + ".")
    if md.get("version"):
        parts.append(f"Version {md['version']}.")
    publisher = (md.get("publisher") or {}).get("name")
    if publisher:
        parts.append(publisher if publisher.endswith(".") else publisher + ".")
    ident = _identifier_url(document)
    if ident:
        parts.append(ident)
    return " ".join(parts)


def write_citation(document: dict[str, Any]) -> bytes:
    """``text/x-bibliography``: the citation text, UTF-8, ending with a newline."""
    return (citation_text(document) + "\n").encode()


# --- BibTeX ------------------------------------------------------------------------------------

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}


def bibtex_escape(text: str) -> str:
    """Escape LaTeX special characters; non-ASCII letters are kept (UTF-8 with biber/LuaLaTeX)."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def _bibtex_author(agent: dict[str, Any]) -> str:
    if agent.get("type") == "Organizational":
        # A corporate author in braces, so BibTeX does not split it into first/last names.
        return "{" + bibtex_escape(agent.get("name", "")) + "}"
    if agent.get("family_name"):
        given = agent.get("given_name")
        family = bibtex_escape(agent["family_name"])
        return f"{family}, {bibtex_escape(given)}" if given else family
    return bibtex_escape(agent.get("name", ""))


def bibtex_key(document: dict[str, Any]) -> str:
    """A citation key from the record id (letters, digits, ``-``, ``_``, ``:``, ``.``)."""
    return "alluvium:" + re.sub(r"[^A-Za-z0-9_.:-]", "-", str(document.get("id") or "record"))


def write_bibtex(document: dict[str, Any]) -> bytes:
    """A BibTeX ``@misc`` entry (BibTeX has no dataset type; biblatex reads ``@misc`` too)."""
    md = document.get("metadata") or {}
    fields: list[tuple[str, str]] = []
    authors = " and ".join(_bibtex_author(a) for a in md.get("creators") or [])
    if authors:
        fields.append(("author", authors))
    # Double braces keep the title's capitalisation in every style.
    fields.append(("title", "{" + bibtex_escape(schemas.display_title(md)) + "}"))
    publisher = (md.get("publisher") or {}).get("name")
    if publisher:
        fields.append(("publisher", bibtex_escape(publisher)))
    fields.append(("year", publication_year(document)))
    if md.get("version"):
        fields.append(("version", bibtex_escape(md["version"])))
    doi = doi_of(document)
    if doi:
        fields.append(("doi", doi))  # biblatex: the bare DOI, no resolver
    url = (document.get("links") or {}).get("self_html")
    if url:
        fields.append(("url", url))
    if md.get("languages"):
        fields.append(("language", ", ".join(md["languages"])))
    keywords = [t["term"] for g in md.get("keywords") or [] for t in g.get("terms") or []]
    keywords += [k["term"] for k in md.get("free_keywords") or []]
    if keywords:
        fields.append(("keywords", bibtex_escape(", ".join(keywords))))
    lic = ((md.get("rights") or {}).get("license") or {}).get("id")
    if lic:
        fields.append(("copyright", bibtex_escape(lic)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{bibtex_key(document)},\n{body}\n}}\n".encode()


# --- CSL-JSON ----------------------------------------------------------------------------------


def _csl_date(document: dict[str, Any]) -> dict[str, Any]:
    date = document.get("publication_date")
    if date:
        return {"date-parts": [[int(p) for p in str(date)[:10].split("-")]]}
    return {"date-parts": [[int(publication_year(document))]]}


def csl_item(document: dict[str, Any]) -> dict[str, Any]:
    """A CSL-JSON item (CSL 1.0.2 schema ``csl-data.json``) of type ``dataset``."""
    md = document.get("metadata") or {}
    authors = []
    for a in md.get("creators") or []:
        if a.get("type") == "Personal" and a.get("family_name"):
            name = {"family": a["family_name"]}
            if a.get("given_name"):
                name["given"] = a["given_name"]
            authors.append(name)
        else:
            authors.append({"literal": a.get("name", "")})
    item: dict[str, Any] = {
        "id": doi_of(document) or str(document.get("id", "")),
        "type": "dataset",
        "title": schemas.display_title(md),
        "author": authors,
        "issued": _csl_date(document),
    }
    publisher = (md.get("publisher") or {}).get("name")
    if publisher:
        item["publisher"] = publisher
    if md.get("version"):
        item["version"] = md["version"]
    if doi_of(document):
        item["DOI"] = doi_of(document)
    url = _identifier_url(document)
    if url:
        item["URL"] = url
    abstracts = md.get("abstracts") or []
    if abstracts:
        item["abstract"] = abstracts[0]["text"]
    if md.get("languages"):
        item["language"] = md["languages"][0]
    keywords = [t["term"] for g in md.get("keywords") or [] for t in g.get("terms") or []]
    keywords += [k["term"] for k in md.get("free_keywords") or []]
    if keywords:
        item["keyword"] = ", ".join(keywords)
    rt = (md.get("resource_type") or {}).get("name")
    if rt:
        item["genre"] = rt
    return item


def write_csl_json(document: dict[str, Any]) -> bytes:
    """CSL-JSON: one item object, as DOI content negotiation returns it."""
    return json.dumps(csl_item(document), ensure_ascii=False, indent=2).encode()


BIBTEX = register(
    Format(
        name="bibtex",
        title="BibTeX",
        media_type="application/x-bibtex",
        extension="bib",
        writer=write_bibtex,
    )
)
CSL_JSON = register(
    Format(
        name="csl-json",
        title="CSL-JSON (Citation Style Language)",
        media_type="application/vnd.citationstyles.csl+json",
        extension="csl.json",
        writer=write_csl_json,
    )
)
CITATION = register(
    Format(
        name="citation",
        title="Formatted citation (DataCite recommended form)",
        media_type="text/x-bibliography",
        extension="txt",
        writer=write_citation,
        aliases=("text/plain",),
    )
)
