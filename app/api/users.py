"""The signed-in user and their API tokens."""

from __future__ import annotations

from flask import jsonify
from flask.wrappers import Response
from sqlalchemy import select

from app.api import bp
from app.api.common import json_body, text_field
from app.auth import current_actor, current_identity, require_scope
from app.db import get_session
from app.jobs_runtime import commit
from app.models import ApiToken
from app.services import accounts
from app.services.errors import field_error


@bp.get("/me")
@require_scope("read")
def me() -> Response:
    user, scopes = current_identity()
    assert user is not None
    return jsonify(
        {
            "id": user.id,
            "email": user.email,
            "role": user.role,
            "communities": sorted(c.slug for c in user.moderated),
            "scopes": sorted(scopes),
        }
    )


@bp.get("/me/tokens")
@require_scope("read")
def list_tokens() -> Response:
    user, _ = current_identity()
    rows = (
        get_session().scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).all()
    )
    return jsonify(
        {
            "hits": {
                "hits": [
                    {
                        "id": t.id,
                        "name": t.name,
                        "prefix": t.prefix,
                        "scopes": sorted(t.scope_set),
                        "created": t.created_at.isoformat(),
                        "last_used": t.last_used_at.isoformat() if t.last_used_at else None,
                        "revoked": t.revoked_at.isoformat() if t.revoked_at else None,
                    }
                    for t in rows
                ],
                "total": len(rows),
            }
        }
    )


@bp.post("/me/tokens")
@require_scope("deposit")
def create_token() -> Response:
    """Body: ``{"name": "…", "scopes": ["read", "deposit"]}``. The token is in the answer, once.

    ``scopes`` must be a non-empty subset of the caller's own (its token's scopes, or every
    scope the role allows for a signed-in user); omitted, the new token gets all of them."""
    data = json_body(required=False)
    scopes = data.get("scopes")
    if scopes is not None and (not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes)):
        raise field_error("/scopes", "must be a list of scope names")
    user, held = current_identity()
    session = get_session()
    # The service refuses an empty list and any scope the creating credentials lack.
    token, secret = accounts.create_token(
        session, current_actor(), user, scopes=scopes, name=text_field(data, "name"), within=held
    )
    commit(session)
    response = jsonify({"id": token.id, "token": secret, "scopes": sorted(token.scope_set)})
    response.status_code = 201
    return response


@bp.delete("/me/tokens/<int:token_id>")
@require_scope("deposit")
def revoke_token(token_id: int) -> Response:
    session = get_session()
    accounts.revoke_token(session, current_actor(), token_id)
    commit(session)
    return Response(status=204)
