"""RFC 7396 JSON Merge Patch."""

from __future__ import annotations

import copy
from typing import Any

from .errors import FieldError, RecordValidationError, to_pointer
from .limits import key_problems


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7396 JSON Merge Patch and return the result; neither argument is modified.

    Section 2: if ``patch`` is an object, each member is merged recursively into ``target``
    (a non-object target is first replaced by ``{}``) and a ``null`` member removes the key;
    any other ``patch`` (array, string, number, boolean, null) replaces the target entirely.
    So arrays are replaced, never merged.

    A patch nested deeper than ``schemas.limits.MAX_JSON_DEPTH`` (or with a key XML cannot
    carry) raises :class:`RecordValidationError` before anything is merged.
    """
    problems = key_problems(patch)
    if problems:
        raise RecordValidationError([FieldError(to_pointer(path), [message]) for path, message in problems])
    return _merge(target, patch)


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    return result
