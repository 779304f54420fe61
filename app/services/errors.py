"""Domain errors raised by the services and mapped to HTTP statuses at the edge (app/errors.py)."""

from __future__ import annotations

from schemas import FieldError


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, errors: list[FieldError] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class InvalidInput(ServiceError):
    status = 400


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class Gone(ServiceError):
    """A withdrawn record: the identifier resolves to a tombstone."""

    status = 410

    def __init__(self, message: str, tombstone: dict | None = None):
        super().__init__(message)
        self.tombstone = tombstone or {}


class PreconditionFailed(ServiceError):
    status = 412


class PreconditionRequired(ServiceError):
    status = 428


class PayloadTooLarge(ServiceError):
    status = 413


class Unauthorized(ServiceError):
    status = 401


class Forbidden(ServiceError):
    status = 403


def field_error(field: str, message: str) -> InvalidInput:
    """An InvalidInput naming one field (JSON pointer) of the request."""
    return InvalidInput(f"invalid {field.lstrip('/') or 'request'}", [FieldError(field, [message])])
