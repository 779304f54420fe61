"""Limits on input: characters, text lengths, record size and JSON nesting (the one place they are set).

Everything Alluvium stores as text is later written into XML (DataCite, ISO, RDF/XML, OAI-PMH)
and HTML, so text must be made of characters XML 1.0 can carry, and must have a bounded length.
``schemas`` applies these to every string of the canonical record; the app applies
:func:`check_text` to every other text it stores (community titles, user and token names,
comments, OAI set names). docs/metadata-profile.md ("Input limits") lists them.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

#: Maximum length (in characters, after cleaning) of each kind of text. ``text`` is the only
#: multi-line kind: tab, LF and CR are kept there; in every other kind a run of white space
#: holding a tab, LF or CR is normalised to one space.
TEXT_LIMITS: dict[str, int] = {
    "title": 1_000,  # titles, award and specification titles
    "text": 50_000,  # abstracts, descriptions, lineage, constraints, captions, comments (multi-line)
    "name": 500,  # names of people, organisations, places, vocabularies, licences
    "keyword": 500,  # keyword terms, concept labels
    "identifier": 2_000,  # identifiers, URIs, URLs, e-mail addresses
    "short": 500,  # every other one-line value (codes, versions, units...)
}
MULTILINE_KINDS = frozenset({"text"})
#: Maximum size of one ``metadata`` object, serialised as UTF-8 JSON.
MAX_RECORD_BYTES = 1_000_000
#: Maximum nesting of arrays and objects in a JSON request body or a merge patch.
MAX_JSON_DEPTH = 64
#: Maximum number of digits of a JSON integer (Python refuses > 4300; none of ours needs 30).
MAX_JSON_INT_DIGITS = 100

# Characters XML 1.0 cannot carry (section 2.2 Char: C0 controls other than tab, LF and CR;
# lone surrogates; U+FFFE, U+FFFF), plus DEL and the C1 controls, which XML 1.0 "discourages"
# (section 2.2 note) and which no metadata value needs.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile(r"[ \t\r\n]*[\t\r\n][ \t\r\n]*")


class InputLimitError(ValueError):
    """A value breaks one of these limits; the message says which, in plain words."""


def forbidden_character(text: str) -> str | None:
    """A message naming the first character of ``text`` XML cannot carry, or None."""
    match = _FORBIDDEN.search(text)
    if match is None:
        return None
    return (
        f"contains the character U+{ord(match.group()):04X} at position {match.start() + 1}, "
        "which XML cannot carry (control characters, lone surrogates, U+FFFE and U+FFFF are refused)"
    )


def check_text(text: str, kind: str = "short") -> str:
    """``text`` checked for characters and length, with line breaks normalised in one-line kinds.

    Raises :class:`InputLimitError` (a ``ValueError``) saying what is wrong.
    """
    problem = forbidden_character(text)
    if problem:
        raise InputLimitError(problem)
    if kind not in MULTILINE_KINDS and ("\n" in text or "\r" in text or "\t" in text):
        text = _LINE_BREAKS.sub(" ", text)
    limit = TEXT_LIMITS[kind]
    if len(text) > limit:
        raise InputLimitError(f"is {len(text)} characters long; the limit is {limit}")
    return text


def key_problems(value: Any, *, max_depth: int = MAX_JSON_DEPTH) -> list[tuple[tuple, str]]:
    """(path, message) for each object key XML cannot carry, and for nesting beyond ``max_depth``.

    Iterative, so an arbitrarily deep value cannot exhaust the stack. Keys are named by the
    path of the object holding them (the key itself may not be printable).
    """
    problems: list[tuple[tuple, str]] = []
    stack: list[tuple[Any, tuple, int]] = [(value, (), 0)]
    while stack:
        node, path, depth = stack.pop()
        if not isinstance(node, dict | list):
            continue
        if depth >= max_depth:
            problems.append((path, f"is nested deeper than {max_depth} levels"))
            continue
        if isinstance(node, dict):
            for key, item in node.items():
                if isinstance(key, str):
                    problem = forbidden_character(key)
                    if problem:
                        problems.append((path, f"has a key that {problem}"))
                        continue
                stack.append((item, (*path, key), depth + 1))
        else:
            stack.extend((item, (*path, index), depth + 1) for index, item in enumerate(node))
    return problems


def serialised_size(value: Any) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON (lone surrogates counted, not refused)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return len(text.encode("utf-8", "surrogatepass"))


# --- JSON parsing with bounds --------------------------------------------------------------------

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")
_DELTA = [0] * 256
for _c in b"[{":
    _DELTA[_c] = 1
for _c in b"]}":
    _DELTA[_c] = -1


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays/objects in JSON text, found without parsing it (linear)."""
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", raw))
    return max(accumulate(map(_DELTA.__getitem__, brackets)), default=0)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InputLimitError(f"the number {text[:20]}{'…' if len(text) > 20 else ''} is too large")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_JSON_INT_DIGITS:
        raise InputLimitError(
            f"an integer has {len(text.lstrip('-'))} digits; the limit is {MAX_JSON_INT_DIGITS}"
        )
    return int(text)


def _no_constant(name: str) -> Any:
    raise InputLimitError(f"{name} is not a JSON number")


def parse_json(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse untrusted JSON: nesting, integer digits and float range bounded; ``NaN``/``Infinity``
    refused. Raises ``ValueError`` (:class:`InputLimitError` or ``json.JSONDecodeError``,
    ``UnicodeDecodeError``) with a message fit for the client."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    depth = json_depth(data)
    if depth > max_depth:
        raise InputLimitError(f"the JSON is nested {depth} levels deep; the limit is {max_depth}")
    return json.loads(raw, parse_float=_finite_float, parse_int=_bounded_int, parse_constant=_no_constant)
