"""The OpenAPI 3.1 description of the REST API, served at /api/openapi.json.

Every route registered under /api must appear here; a test checks both directions.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify
from flask.wrappers import Response

from app.api import bp

_ERR = {"$ref": "#/components/responses/Error"}
_REC = {
    "description": "a record version",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Record"}}},
}
_LIST = {
    "description": "a page of results",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Hits"}}},
}
_DOI = {
    "description": "the DOI of a record version",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Doi"}}},
}
_OK = {"description": "done", "content": {"application/json": {"schema": {"type": "object"}}}}


def _op(
    summary: str,
    scope: str | None,
    responses: dict[str, Any],
    *,
    body: str | None = None,
    params: list | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {**responses, "4XX": _ERR}}
    if scope:
        op["security"] = [{"bearer": [scope]}]
        op["description"] = f"Token scope: `{scope}`."
    if body:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
        }
    if params:
        op["parameters"] = params
    return op


def _q(name: str, desc: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"}, "description": desc}


def _tus_header(name: str, required: bool) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": required, "schema": {"type": "string"}}


_THREAD_ID = {"name": "thread_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_UPLOAD_ID = {"name": "upload_id", "in": "path", "required": True, "schema": {"type": "string"}}

_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "schema": {"type": "string"},
    "description": 'The ETag ("<revision>") you last read; 412 when stale, 428 when missing.',
}
_PAGING = [_q("page", "page number, from 1"), _q("size", "page size")]
_SEARCH = {
    "description": "a page of hits with the facet counts; links.next carries the cursor",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchHits"}}},
}


def _facet_param(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "style": "form",
        "explode": True,
        "schema": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
        "description": f"facet filter: several values combine with OR, different facets with AND ({name})",
    }


def _search_params() -> list[dict[str, Any]]:
    from app.search.interface import FACETS

    return [
        _q(
            "q",
            'full text: words (all must match), "phrases", fielded terms title:, creator:, keyword:, doi:; '
            "accents and case ignored; at most 500 characters",
        ),
        _q("bbox", "W,S,E,N in degrees (WGS 84); W > E crosses the antimeridian"),
        {
            "name": "bbox_relation",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": ["intersects", "within"], "default": "intersects"},
        },
        _q(
            "time",
            "START/END (ISO 8601 dates: YYYY, YYYY-MM or YYYY-MM-DD); either side empty or '..' is open",
        ),
        {
            "name": "sort",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": ["relevance", "newest", "oldest", "title"]},
            "description": "relevance (default with q), newest (default without), oldest, title",
        },
        _q("size", "hits per page (1 to API_MAX_PAGE_SIZE)"),
        _q("cursor", "opaque cursor from links.next; no depth limit"),
        _q("page", "page number (legacy; prefer the cursor); not with cursor"),
        {
            "name": "all_versions",
            "in": "query",
            "required": False,
            "schema": {"type": "boolean", "default": False},
            "description": "every published version, not only the latest of each dataset",
        },
        *(_facet_param(f) for f in FACETS),
    ]


_SEARCH_PARAMS = _search_params()
_SCHEME = {
    "name": "scheme",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "vocabulary name (see /vocabularies) or URI",
}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
_SPEC = {
    "name": "spec",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "setSpec: letters, digits and -_.!~*'() (community-*, type-* and openaire_data are reserved)",
}
_KEY = {
    "name": "key",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "file name (relative path)",
}


def spec() -> dict[str, Any]:
    r = "/records/{id}"
    paths: dict[str, Any] = {
        "/records": {
            "get": _op(
                "Search the published records (docs/search.md)",
                None,
                {"200": _SEARCH},
                params=_SEARCH_PARAMS,
            ),
            "post": _op("Create a draft", "deposit", {"201": _REC}, body="DraftInput"),
        },
        "/user/records": {
            "get": _op(
                "The caller's records (drafts included)",
                "read",
                {"200": _LIST},
                params=[*_PAGING, _q("state", "lifecycle state")],
            )
        },
        r: {
            "get": _op("A published version (410 with the tombstone when withdrawn)", None, {"200": _REC}),
            "patch": _op(
                "Correct the metadata of a published version (admins): merge patch and reason",
                "moderate",
                {"200": _OK},
                body="CorrectionInput",
            ),
        },
        r + "/draft": {
            "get": _op("Read a draft (owner, moderators, admins)", "read", {"200": _REC}),
            "put": _op(
                "Replace the draft's metadata",
                "deposit",
                {"200": _REC},
                body="DraftInput",
                params=[_IF_MATCH],
            ),
            "patch": _op(
                "Merge-patch (RFC 7396) the draft's metadata",
                "deposit",
                {"200": _REC},
                body="DraftInput",
                params=[_IF_MATCH],
            ),
            "delete": _op("Delete a never-submitted draft", "deposit", {"204": {"description": "deleted"}}),
        },
        r + "/draft/actions/validate": {
            "post": _op(
                "All validation problems, the completeness score and the vocabulary findings",
                "read",
                {
                    "200": {
                        "description": "validation report",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ValidationReport"}}
                        },
                    }
                },
            )
        },
        r + "/draft/actions/submit": {
            "post": _op("Submit (or resubmit) to a community", "deposit", {"202": _REC}, body="SubmitInput")
        },
        r + "/draft/actions/cancel": {
            "post": _op("Take a submission back before review", "deposit", {"200": _REC})
        },
        r + "/draft/files/{key}": {
            "put": _op(
                "Upload (stream) a file into the draft", "deposit", {"201": _OK, "200": _OK}, params=[_KEY]
            ),
            "delete": _op(
                "Remove a file from the draft", "deposit", {"204": {"description": "removed"}}, params=[_KEY]
            ),
            "patch": _op(
                "Rename a file of the draft (same stored object under the new key)",
                "deposit",
                {
                    "200": _OK,
                    "400": {"description": "the new key is not a valid file name (field /key)"},
                    "409": {"description": "the new key is taken, or the draft is not editable"},
                },
                body="FileRename",
                params=[_KEY],
            ),
            "get": _op(
                "Download a draft file",
                "read",
                {"200": {"description": "the file"}, "206": {"description": "a byte range"}},
                params=[_KEY],
            ),
        },
        r + "/draft/uploads": {
            "post": _op(
                "Create a resumable upload (tus 1.0 creation; the file key is Upload-Metadata 'filename')",
                "deposit",
                {
                    "201": {"description": "created; Location is the upload URL"},
                    "413": {"description": "larger than the upload size limit or a quota (named)"},
                },
                params=[
                    _tus_header("Tus-Resumable", True),
                    _tus_header("Upload-Length", True),
                    _tus_header("Upload-Metadata", True),
                ],
            ),
        },
        r + "/draft/uploads/{upload_id}": {
            "patch": _op(
                "Append bytes at Upload-Offset (tus core; checksum extension: Upload-Checksum)",
                "deposit",
                {
                    "204": {"description": "stored; Upload-Offset is the new offset"},
                    "409": {"description": "Upload-Offset is not the stored offset"},
                    "410": {"description": "the upload expired"},
                    "415": {"description": "Content-Type is not application/offset+octet-stream"},
                    "423": {"description": "another request is appending to this upload"},
                    "460": {"description": "the body does not match Upload-Checksum; nothing stored"},
                },
                params=[
                    _UPLOAD_ID,
                    _tus_header("Tus-Resumable", True),
                    _tus_header("Upload-Offset", True),
                    _tus_header("Upload-Checksum", False),
                ],
            ),
            "delete": _op(
                "Terminate an upload (tus termination)",
                "deposit",
                {"204": {"description": "the upload and its partial data are gone"}},
                params=[_UPLOAD_ID, _tus_header("Tus-Resumable", True)],
            ),
        },
        r + "/draft/files/{key}/metadata": {
            "get": _op(
                "Metadata proposed from the file's content (extraction state, fragment, sources)",
                "read",
                {
                    "200": {
                        "description": "extraction state and proposed metadata",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/FileMetadata"}}
                        },
                    }
                },
                params=[_KEY],
            )
        },
        r + "/files": {"get": _op("List files with size, MD5, SHA-256 and media type", None, {"200": _OK})},
        r + "/files/{key}": {
            "get": _op(
                "Download a file (Range, ETag, Digest)",
                None,
                {
                    "200": {"description": "the file"},
                    "206": {"description": "a byte range"},
                    "304": {"description": "not modified"},
                },
                params=[_KEY],
            )
        },
        r + "/versions": {
            "get": _op("Every version of the record", None, {"200": _LIST}),
            "post": _op("Start a new version draft of a published record", "deposit", {"201": _REC}),
        },
        r + "/doi": {
            "get": _op(
                "The version's DOI and its status (reserved, pending, registered)",
                None,
                {"200": _DOI},
            ),
            "post": _op(
                "Reserve a DOI for the draft (a DataCite draft DOI), or declare the DOI it already has",
                "deposit",
                {"201": _DOI, "200": _DOI},
                body="DoiInput",
            ),
        },
        r + "/versions/latest": {
            "get": _op("Redirect to the latest published version", None, {"302": {"description": "redirect"}})
        },
        r + "/actions/withdraw": {
            "post": _op(
                "Withdraw a published record (admins)", "moderate", {"200": _OK}, body="WithdrawInput"
            )
        },
        r + "/events": {"get": _op("The record's audit trail", "read", {"200": _LIST})},
        "/reviews": {
            "get": _op(
                "Moderation queue; each hit carries the vocabulary findings about its terms",
                "moderate",
                {
                    "200": {
                        "description": "a page of submissions",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ReviewHits"}}
                        },
                    }
                },
                params=[
                    *_PAGING,
                    _q("state", "review state"),
                    _q("community", "community id"),
                    _q("assigned", "'me'"),
                ],
            )
        },
        r + "/review/actions/{action}": {
            "post": _op(
                "assign | comment | request-changes | accept | reject",
                "moderate",
                {"200": _REC, "201": _OK},
                body="ReviewInput",
                params=[
                    {
                        "name": "action",
                        "in": "path",
                        "required": True,
                        "schema": {
                            "type": "string",
                            "enum": ["assign", "comment", "request-changes", "accept", "reject"],
                        },
                    }
                ],
            )
        },
        r + "/review/comments": {
            "get": _op(
                "Comment threads of a record (anchored to a field's JSON pointer, a file, or general)",
                "read",
                {"200": _OK},
            ),
            "post": _op("Open a comment thread", "deposit", {"201": _OK}, body="ReviewCommentInput"),
        },
        r + "/review/comments/{thread_id}/replies": {
            "post": _op(
                "Reply in a comment thread",
                "deposit",
                {"201": _OK},
                body="ReviewReplyInput",
                params=[_THREAD_ID],
            )
        },
        r + "/review/comments/{thread_id}/resolve": {
            "post": _op("Mark a comment thread resolved", "deposit", {"200": _OK}, params=[_THREAD_ID])
        },
        "/communities": {
            "get": _op("List communities", None, {"200": _LIST}),
            "post": _op("Create a community (admins)", "moderate", {"201": _OK}, body="CommunityInput"),
        },
        "/oai/sets": {
            "get": _op(
                "OAI-PMH sets defined by administrators (the protocol itself is at /oai)",
                None,
                {"200": _LIST},
            )
        },
        "/oai/sets/{spec}": {
            "put": _op(
                "Create or replace an administrator-defined OAI-PMH set (admins); records are resynced",
                "moderate",
                {"200": _OK, "201": _OK},
                body="OaiSetInput",
                params=[_SPEC],
            ),
            "delete": _op(
                "Delete an administrator-defined OAI-PMH set (admins)",
                "moderate",
                {"204": {"description": "deleted"}},
                params=[_SPEC],
            ),
        },
        "/me": {"get": _op("The authenticated user", "read", {"200": _OK})},
        "/me/tokens": {
            "get": _op("The caller's API tokens (never the secrets)", "read", {"200": _OK}),
            "post": _op("Create an API token (shown once)", "deposit", {"201": _OK}, body="TokenInput"),
        },
        "/me/tokens/{token_id}": {
            "delete": _op(
                "Revoke a token",
                "deposit",
                {"204": {"description": "revoked"}},
                params=[{"name": "token_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            )
        },
        r + "/export/{format_name}": {
            "get": _op(
                "The record in a metadata format (datacite, oai_dc, iso19139, bibtex…; see /exports/formats)",
                None,
                {"200": {"description": "the record in that format, with the format's media type"}},
                params=[
                    {"name": "format_name", "in": "path", "required": True, "schema": {"type": "string"}},
                    _q(
                        "draft",
                        "1: export the draft (owner, moderators, admins) instead of the published version",
                    ),
                ],
            )
        },
        "/exports/formats": {
            "get": _op("The registered export formats and their media types", None, {"200": _OK})
        },
        "/records/import": {
            "post": {
                **_op(
                    "Create a draft from a DataCite or ISO 19139 / 19115-3 XML record",
                    "deposit",
                    {"201": _REC},
                    params=[
                        _q("format", "datacite, oai_datacite, iso19139, iso19115-3; detected when absent")
                    ],
                ),
                "requestBody": {
                    "required": True,
                    "content": {"application/xml": {"schema": {"type": "string"}}},
                },
            }
        },
        "/openapi.json": {"get": _op("This document", None, {"200": _OK})},
        "/vocabularies": {
            "get": _op(
                "List the loaded controlled vocabularies",
                None,
                {"200": _LIST},
                params=[_q("lang", "language of titles (fr, en)")],
            ),
            "post": {
                **_op(
                    "Import or re-import a SKOS vocabulary (admins); 400 naming /file for a malformed or "
                    "hostile file (entity declarations, nesting deeper than 32 levels), 413 above 64 MiB",
                    "moderate",
                    {"201": _OK},
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file", "scheme_uri"],
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "scheme_uri": {"type": "string"},
                                    "name": {"type": "string"},
                                    "format": {"type": "string", "enum": ["ttl", "xml", "json-ld"]},
                                },
                            }
                        }
                    },
                },
            },
        },
        "/vocabularies/{scheme}/terms": {
            "get": _op(
                "Autocomplete terms (prefix and word-start match on labels)",
                None,
                {"200": _LIST},
                params=[
                    _SCHEME,
                    _q("q", "text typed so far"),
                    _q("lang", "label language (fr, en; falls back to en)"),
                    _q("deprecated", "true to include deprecated terms"),
                    _q("size", "number of hits (default 10)"),
                ],
            )
        },
        "/vocabularies/{scheme}/terms/{term_id}": {
            "get": _op(
                "One term with its labels, definition, broader path and replacement",
                None,
                {"200": _OK},
                params=[
                    _SCHEME,
                    {
                        "name": "term_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "notation, URL-encoded concept URI, or last URI segment",
                    },
                    _q("lang", "label language"),
                ],
            )
        },
    }
    paths.update(_dmp_paths())
    for path, item in paths.items():
        if "{id}" in path:
            item["parameters"] = [_ID]
    obj = {"type": "object"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{current_app.config['REPOSITORY_NAME']} REST API",
            "version": "1",
            "description": "Deposit, moderation and access to Earth-science datasets. Errors are JSON "
            "`{status, message, errors: [{field, messages}]}`; fields are JSON pointers into the request.",
        },
        "servers": [{"url": current_app.config["BASE_URL"] + "/api"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "API token from `alluvium tokens create` or POST /me/tokens",
                }
            },
            "responses": {
                "Error": {
                    "description": "an error",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
            },
            "schemas": {
                **DMP_SCHEMAS,
                "Doi": {
                    "type": "object",
                    "required": ["doi", "status"],
                    "properties": {
                        "doi": {"type": "string", "description": "bare DOI, lower case (10.x/y)"},
                        "url": {"type": "string", "format": "uri"},
                        "status": {"type": "string", "enum": ["reserved", "pending", "registered"]},
                        "message": {"type": "string", "description": 'e.g. "reserved, not yet registered"'},
                        "managed": {
                            "type": "boolean",
                            "description": "false: a DOI under another prefix, kept as is",
                        },
                        "datacite_state": {
                            "type": ["string", "null"],
                            "enum": ["draft", "registered", "findable", "deleted", None],
                        },
                        "concept_doi": {"type": ["string", "null"]},
                    },
                },
                "DoiInput": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "doi": {
                            "type": "string",
                            "description": "The DOI the draft already has (omit to reserve a new one)",
                        }
                    },
                },
                "FileMetadata": {
                    "type": "object",
                    "required": ["key", "state", "reason", "fragment", "sources"],
                    "properties": {
                        "key": {"type": "string"},
                        "checksum": {"type": "object"},
                        "state": {"type": "string", "enum": ["pending", "done", "nothing", "failed", "none"]},
                        "reason": {"type": "string"},
                        "format": {"type": ["string", "null"]},
                        "fragment": {
                            "type": "object",
                            "description": "canonical metadata fields proposed (validated, not applied)",
                        },
                        "sources": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                            "description": "JSON pointer into fragment -> where the value was read",
                        },
                        "dropped": {"type": "array", "items": {"type": "object"}},
                        "facts": {"type": "object"},
                        "updated": {"type": "string", "format": "date-time"},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["status", "message", "errors"],
                    "properties": {
                        "status": {"type": "integer"},
                        "message": {"type": "string"},
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "field": {"type": "string", "description": "JSON pointer"},
                                    "messages": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                        },
                    },
                },
                "Record": {
                    "type": "object",
                    "required": ["id", "state", "revision_id", "metadata", "files", "links"],
                    "properties": {
                        "id": {"type": "string"},
                        "state": {
                            "type": "string",
                            "enum": [
                                "draft",
                                "submitted",
                                "under_review",
                                "changes_requested",
                                "resubmitted",
                                "accepted",
                                "published",
                                "rejected",
                                "withdrawn",
                            ],
                        },
                        "revision_id": {"type": "integer"},
                        "metadata": {
                            "type": "object",
                            "description": "the canonical metadata; see docs/metadata-profile.md",
                        },
                        "pids": obj,
                        "files": {"type": "array"},
                        "links": obj,
                        "versions": obj,
                        "parent": obj,
                        "review": obj,
                    },
                },
                "Hits": {
                    "type": "object",
                    "properties": {
                        "hits": {
                            "type": "object",
                            "properties": {"hits": {"type": "array"}, "total": {"type": "integer"}},
                        },
                        "links": obj,
                    },
                },
                "SearchHits": {
                    "type": "object",
                    "properties": {
                        "hits": {
                            "type": "object",
                            "properties": {"hits": {"type": "array"}, "total": {"type": "integer"}},
                        },
                        "aggregations": {
                            "type": "object",
                            "additionalProperties": {
                                "type": "object",
                                "properties": {
                                    "buckets": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "key": {"type": "string"},
                                                "doc_count": {"type": "integer"},
                                            },
                                        },
                                    }
                                },
                            },
                        },
                        "sortBy": {"type": "string"},
                        "links": obj,
                    },
                },
                "DraftInput": {
                    "type": "object",
                    "properties": {"metadata": obj, "community": {"type": "string"}},
                    "additionalProperties": False,
                },
                "FileRename": {
                    "type": "object",
                    "required": ["key"],
                    "properties": {
                        "key": {
                            "type": "string",
                            "maxLength": 255,
                            "description": "the new key: a relative path, no empty, '.' or '..' parts",
                        }
                    },
                },
                "SubmitInput": {
                    "type": "object",
                    "properties": {"community": {"type": "string"}, "comment": {"type": "string"}},
                },
                "ReviewCommentInput": {
                    "type": "object",
                    "required": ["comment"],
                    "properties": {
                        "comment": {"type": "string"},
                        "anchor_kind": {"type": "string", "enum": ["general", "field", "file"]},
                        "anchor": {
                            "type": "string",
                            "description": "JSON pointer into the metadata (field) or file key (file)",
                        },
                    },
                    "additionalProperties": False,
                },
                "ReviewReplyInput": {
                    "type": "object",
                    "required": ["comment"],
                    "properties": {"comment": {"type": "string"}},
                    "additionalProperties": False,
                },
                "ReviewInput": {
                    "type": "object",
                    "properties": {
                        "comment": {"type": "string"},
                        "assignee": {"type": "string", "format": "email"},
                    },
                },
                "CorrectionInput": {
                    "type": "object",
                    "required": ["metadata", "reason"],
                    "properties": {"metadata": {"type": "object"}, "reason": {"type": "string"}},
                },
                "WithdrawInput": {
                    "type": "object",
                    "required": ["reason"],
                    "properties": {"reason": {"type": "string"}},
                },
                "OaiSetInput": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "description": {"type": "string"},
                        "criteria": {
                            "type": "object",
                            "description": "every criterion given must hold; {} selects every record",
                            "properties": {
                                "communities": {"type": "array", "items": {"type": "string"}},
                                "resource_types": {"type": "array", "items": {"type": "string"}},
                                "access_levels": {
                                    "type": "array",
                                    "items": {
                                        "type": "string",
                                        "enum": ["open", "embargoed", "restricted", "metadata_only"],
                                    },
                                },
                                "require_doi": {"type": "boolean"},
                            },
                            "additionalProperties": False,
                        },
                    },
                },
                "CommunityInput": {
                    "type": "object",
                    "required": ["id", "title"],
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                    },
                },
                "TokenInput": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "scopes": {
                            "type": "array",
                            "items": {"type": "string", "enum": ["read", "deposit", "moderate"]},
                        },
                    },
                },
                "ValidationReport": {
                    "type": "object",
                    "properties": {
                        "valid": {
                            "type": "boolean",
                            "description": "false with any error: submission would fail",
                        },
                        "completeness": {"type": "number"},
                        "missing_mandatory": {"type": "array"},
                        "missing_recommended": {"type": "array"},
                        "errors": {
                            "type": "array",
                            "description": "schema errors and terms missing from the vocabulary they claim",
                        },
                        "findings": {"type": "array", "items": {"$ref": "#/components/schemas/Finding"}},
                    },
                },
                "Finding": {
                    "type": "object",
                    "description": "what the loaded vocabularies say about a term (docs/vocabularies.md)",
                    "required": ["field", "code", "severity", "message"],
                    "properties": {
                        "field": {
                            "type": "string",
                            "description": "JSON pointer, e.g. /metadata/keywords/0/terms/2",
                        },
                        "code": {
                            "type": "string",
                            "enum": [
                                "unknown_term",
                                "unknown_scheme",
                                "deprecated",
                                "label_refreshed",
                                "uri_found",
                            ],
                        },
                        "severity": {
                            "type": "string",
                            "enum": ["error", "warning", "info"],
                            "description": "error blocks submission and acceptance; warning is for the moderator; "
                            "info is what the next save refreshes",
                        },
                        "message": {"type": "string"},
                        "concept_uri": {"type": "string"},
                        "label": {"type": "string", "description": "the vocabulary's current label"},
                        "replacements": {
                            "type": "array",
                            "description": "for a deprecated term, the concepts that replace it",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "uri": {"type": "string"},
                                    "label": {"type": ["string", "null"]},
                                },
                            },
                        },
                    },
                },
                "ReviewHits": {
                    "type": "object",
                    "properties": {
                        "hits": {
                            "type": "object",
                            "properties": {
                                "hits": {
                                    "type": "array",
                                    "items": {
                                        "allOf": [
                                            {"$ref": "#/components/schemas/Record"},
                                            {
                                                "type": "object",
                                                "properties": {
                                                    "findings": {
                                                        "type": "array",
                                                        "items": {"$ref": "#/components/schemas/Finding"},
                                                    }
                                                },
                                            },
                                        ]
                                    },
                                },
                                "total": {"type": "integer"},
                            },
                        },
                        "links": obj,
                    },
                },
            },
        },
    }


_DMP_ID = {"name": "dmp_id", "in": "path", "required": True, "schema": {"type": "string"}}
_DMP = {
    "description": "a data management plan (``plan`` is the maDMP 1.2 ``dmp`` object); ETag: its revision",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dmp"}}},
}
_JSON = {"description": "JSON", "content": {"application/json": {"schema": {"type": "object"}}}}


def _dmp_paths() -> dict[str, Any]:
    """The data management plan routes (docs/dmp.md)."""
    d = "/dmps/{dmp_id}"
    index = {"name": "index", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}
    paths: dict[str, Any] = {
        "/dmps": {
            "get": _op("The caller's plans and the plans shared with them", "read", {"200": _JSON}),
            "post": _op(
                "Create a plan: {plan: maDMP 1.2 dmp object}", "deposit", {"201": _DMP}, body="DmpInput"
            ),
        },
        "/dmps/import": {
            "post": _op(
                "Import a maDMP JSON document (1.0, 1.1 or 1.2); 400 lists each schema error by JSON Pointer",
                "deposit",
                {"201": _DMP},
                body="Madmp",
            )
        },
        "/dmps/opidor/import": {
            "post": _op(
                "Fetch a plan from DMP OPIDoR (export_format=rda) and import it: {plan_id}",
                "deposit",
                {"201": _DMP, "502": _ERR, "503": _ERR},
                body="OpidorImportInput",
            )
        },
        d: {
            "get": _op("Read a plan (owner, co-authors, admins)", "read", {"200": _DMP}),
            "put": _op("Replace the plan", "deposit", {"200": _DMP}, body="DmpInput", params=[_IF_MATCH]),
            "patch": _op(
                "Merge-patch (RFC 7396) the plan",
                "deposit",
                {"200": _DMP},
                body="DmpInput",
                params=[_IF_MATCH],
            ),
            "delete": _op("Delete the plan (owner)", "deposit", {"204": {"description": "deleted"}}),
        },
        d + "/versions": {"get": _op("The plan's history, newest first", "read", {"200": _JSON})},
        d + "/versions/{number}": {
            "get": _op(
                "One saved state of the plan, with what changed",
                "read",
                {"200": _JSON},
                params=[{"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}}],
            )
        },
        d + "/shares": {
            "get": _op("The plan's co-authors", "read", {"200": _JSON}),
            "post": _op(
                "Share with a co-author: {email, permission: edit|read} (owner)",
                "deposit",
                {"201": _JSON},
                body="DmpShareInput",
            ),
        },
        d + "/shares/{user_id}": {
            "delete": _op(
                "Stop sharing with a co-author (owner)",
                "deposit",
                {"204": {"description": "removed"}},
                params=[{"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            )
        },
        d + "/export/madmp": {
            "get": _op(
                "maDMP JSON export: version=1.2 (default) or 1.1 (DMP OPIDoR's shape, docs/dmp.md)",
                "read",
                {"200": _JSON},
                params=[
                    {
                        "name": "version",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["1.2", "1.1"]},
                    }
                ],
            )
        },
        d + "/datasets/{index}/link": {
            "post": _op(
                "Link planned dataset {index} to a record of this repository: {record_id}",
                "deposit",
                {"200": _DMP},
                body="DmpLinkInput",
                params=[index],
            )
        },
        d + "/datasets/{index}/deposit": {
            "post": _op(
                "Start the deposit of planned dataset {index}: a draft pre-filled from the plan",
                "deposit",
                {"201": _JSON},
                params=[index],
            )
        },
        d + "/opidor/push": {
            "post": _op(
                "Send the plan to DMP OPIDoR's import endpoint (creates a new plan there)",
                "deposit",
                {"200": _JSON, "502": _ERR, "503": _ERR},
            )
        },
    }
    for path, item in paths.items():
        if "{dmp_id}" in path:
            item["parameters"] = [_DMP_ID]
    return paths


DMP_SCHEMAS: dict[str, Any] = {
    "Dmp": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "revision_id": {"type": "integer"},
            "title": {"type": "string"},
            "plan": {"type": "object", "description": "maDMP 1.2 dmp object"},
            "access": {"type": "string", "enum": ["own", "edit", "read"]},
            "datasets": {"type": "array", "items": {"type": "object"}},
            "import": {"type": "object", "description": "after an import: version, adjusted, unmapped"},
        },
    },
    "DmpInput": {
        "type": "object",
        "required": ["plan"],
        "additionalProperties": False,
        "properties": {"plan": {"type": "object"}},
    },
    "Madmp": {"type": "object", "required": ["dmp"], "properties": {"dmp": {"type": "object"}}},
    "DmpShareInput": {
        "type": "object",
        "required": ["email", "permission"],
        "additionalProperties": False,
        "properties": {
            "email": {"type": "string"},
            "permission": {"type": "string", "enum": ["edit", "read"]},
        },
    },
    "DmpLinkInput": {
        "type": "object",
        "required": ["record_id"],
        "additionalProperties": False,
        "properties": {"record_id": {"type": "string"}},
    },
    "OpidorImportInput": {
        "type": "object",
        "required": ["plan_id"],
        "additionalProperties": False,
        "properties": {"plan_id": {"type": "string"}},
    },
}


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(spec())
