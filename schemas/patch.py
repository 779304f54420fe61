"""RFC 7396 JSON Merge Patch."""

from __future__ import annotations

import copy
from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7396 JSON Merge Patch and return the result; neither argument is modified.

    Section 2: if ``patch`` is an object, each member is merged recursively into ``target``
    (a non-object target is first replaced by ``{}``) and a ``null`` member removes the key;
    any other ``patch`` (array, string, number, boolean, null) replaces the target entirely.
    So arrays are replaced, never merged.
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result
