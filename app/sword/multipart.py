"""A bounded, streaming reader of SWORD 2.0 multipart deposits (SWORD 2.0 §6.3.2, §6.5.3, §6.7.3;
docs/sword.md).

The body is ``multipart/related; boundary=…; type="application/atom+xml"`` with exactly two parts,
in this order: the Atom entry (``Content-Disposition: attachment; name="atom"``) and the media
part (``name=payload; filename=…``, with optional ``Packaging`` and ``Content-MD5`` headers and
optional ``Content-Transfer-Encoding: base64``). The entry is kept in memory up to
``max_entry`` bytes; the media part is decoded and written to ``payload_path`` as it arrives
(at most ``max_payload`` decoded bytes), never held whole in memory. Every departure from that
shape raises :class:`MultipartError` naming what is wrong; the caller turns it into a SWORD
error document. Nothing here touches the database or the store.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

CHUNK = 64 * 1024
MAX_PREAMBLE = 16 * 1024
MAX_HEADER_BYTES = 8 * 1024  # all the headers of one part
MAX_HEADERS = 32
MAX_EPILOGUE = 16 * 1024
_BOUNDARY_RE = re.compile(r"^[0-9A-Za-z'()+_,\-./:=? $]{0,69}[0-9A-Za-z'()+_,\-./:=?$]$")  # RFC 2046 §5.1.1


class MultipartError(Exception):
    """A malformed multipart deposit: ``field`` is the pointer named in the error document."""

    def __init__(self, field_: str, message: str, status: int = 400):
        super().__init__(message)
        self.field = field_
        self.message = message
        self.status = status


class TooLarge(MultipartError):
    def __init__(self, field_: str, message: str):
        super().__init__(field_, message, 413)


@dataclass
class Part:
    headers: dict[str, str] = field(default_factory=dict)

    def disposition(self) -> tuple[str, dict[str, str]]:
        return _parse_params(self.headers.get("content-disposition", ""))


@dataclass
class Multipart:
    entry: bytes
    payload_path: Path
    payload_size: int
    payload_md5: str
    filename: str | None
    content_type: str | None
    packaging: str | None
    content_md5: str | None  # the part's Content-MD5 header, normalised to hex, when given
    body_md5: str  # of the whole request body, for a request-level Content-MD5


def _parse_params(value: str) -> tuple[str, dict[str, str]]:
    """``attachment; name="atom"; filename=x`` → ("attachment", {"name": "atom", ...})."""
    head, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for m in re.finditer(r'\s*([A-Za-z0-9_\-*]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]*)\s*;?', rest):
        key = m.group(1).lower()
        raw = m.group(3) if m.group(3) is not None else m.group(2).strip()
        params[key] = re.sub(r"\\(.)", r"\1", raw) if m.group(3) is not None else raw
    return head.strip().lower(), params


def boundary_of(content_type: str) -> str:
    """The boundary of a ``multipart/related`` Content-Type; a 400 naming it when missing/bad."""
    media, params = _parse_params(content_type)
    if media != "multipart/related":
        raise MultipartError(
            "/Content-Type", f"a multipart deposit is multipart/related, not {media!r}", status=415
        )
    kind = params.get("type")
    if kind is not None and kind.split(";")[0].strip().lower() != "application/atom+xml":
        raise MultipartError(
            "/Content-Type", f'the type parameter must be "application/atom+xml", not {kind!r}', status=415
        )
    boundary = params.get("boundary")
    if not boundary:
        raise MultipartError("/Content-Type", "the boundary parameter is missing")
    if not _BOUNDARY_RE.match(boundary):
        raise MultipartError("/Content-Type", "the boundary is not a valid MIME boundary (RFC 2046)")
    return boundary


def normalise_md5(raw: str, pointer: str) -> str:
    raw = raw.strip()
    if re.fullmatch(r"[0-9a-fA-F]{32}", raw):
        return raw.lower()
    try:
        digest = base64.b64decode(raw, validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != 16:
        raise MultipartError(pointer, "must be an MD5 digest, 32 hex digits or base64 of 16 bytes")
    return digest.hex()


class _Reader:
    """Reads a stream, finding the delimiter ``\\r\\n--boundary`` without buffering more than
    one chunk plus the delimiter. Counts raw bytes (for the request's Content-MD5)."""

    def __init__(self, stream: BinaryIO, boundary: str, max_total: int):
        self.stream = stream
        self.delimiter = b"\r\n--" + boundary.encode("ascii")
        self.buf = b"\r\n"  # so that a first boundary at offset 0 matches the delimiter
        self.eof = False
        self.total = 0
        self.max_total = max_total
        self.md5 = hashlib.md5(usedforsecurity=False)

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.total += len(chunk)
        if self.total > self.max_total:
            raise TooLarge("/", f"the body exceeds the limit of {self.max_total} bytes")
        self.md5.update(chunk)
        self.buf += chunk
        return True

    def until_delimiter(self, limit: int | None, pointer: str):  # type: ignore[no-untyped-def]
        """Yield the bytes before the next delimiter (consumed); ``limit`` caps their count."""
        emitted = 0
        keep = len(self.delimiter) - 1
        while True:
            at = self.buf.find(self.delimiter)
            if at >= 0:
                out, self.buf = self.buf[:at], self.buf[at + len(self.delimiter) :]
            elif len(self.buf) > keep:
                out, self.buf = self.buf[:-keep], self.buf[-keep:]
            else:
                out = b""
            emitted += len(out)
            if limit is not None and emitted > limit:
                raise TooLarge(pointer, f"the part exceeds the limit of {limit} bytes")
            if out:
                yield out
            if at >= 0:
                return
            if not self._fill():
                raise MultipartError(pointer, "the body ends before the closing boundary (truncated)")

    def line(self, limit: int, pointer: str) -> bytes:
        while b"\r\n" not in self.buf[: limit + 2]:
            if len(self.buf) > limit + 2:
                raise MultipartError(pointer, f"a header line is longer than {limit} bytes")
            if not self._fill():
                raise MultipartError(pointer, "the body ends inside the part headers (truncated)")
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def after_delimiter(self) -> bool:
        """After a delimiter: True when another part follows, False at the close ``--``."""
        while len(self.buf) < 2 and self._fill():
            pass
        if self.buf[:2] == b"--":
            return False
        # transport padding then CRLF (RFC 2046)
        line = self.line(1024, "/")
        if line.strip(b" \t"):
            raise MultipartError("/", "unexpected bytes after a boundary")
        return True

    def drain_epilogue(self) -> None:
        size = len(self.buf)
        while self._fill():
            size = len(self.buf)
            if size > MAX_EPILOGUE:
                raise MultipartError("/", "too many bytes after the closing boundary")
        self.buf = b""


def _headers(reader: _Reader, pointer: str) -> Part:
    part = Part()
    used = 0
    while True:
        line = reader.line(MAX_HEADER_BYTES, pointer)
        used += len(line) + 2
        if used > MAX_HEADER_BYTES or len(part.headers) >= MAX_HEADERS:
            raise MultipartError(pointer, f"the part headers exceed {MAX_HEADER_BYTES} bytes or {MAX_HEADERS} lines")
        if not line:
            return part
        if line[:1] in (b" ", b"\t") and part.headers:  # folded header
            last = next(reversed(part.headers))
            part.headers[last] += " " + line.strip().decode("latin-1")
            continue
        name, sep, value = line.partition(b":")
        if not sep or not name.strip():
            raise MultipartError(pointer, "a part header line has no name")
        part.headers[name.strip().decode("latin-1").lower()] = value.strip().decode("latin-1")


class _B64:
    """Incremental base64 decoder (whitespace ignored)."""

    def __init__(self) -> None:
        self.rest = b""

    def feed(self, data: bytes) -> bytes:
        data = self.rest + re.sub(rb"\s+", b"", data)
        cut = len(data) - len(data) % 4
        self.rest = data[cut:]
        return self._decode(data[:cut])

    def close(self) -> bytes:
        if self.rest:
            raise MultipartError("/payload/Content-Transfer-Encoding", "the base64 payload is truncated")
        return b""

    @staticmethod
    def _decode(data: bytes) -> bytes:
        try:
            return base64.b64decode(data, validate=True)
        except binascii.Error:
            raise MultipartError("/payload/Content-Transfer-Encoding", "the payload is not valid base64") from None


def read(
    stream: BinaryIO,
    content_type: str,
    payload_path: Path,
    *,
    max_entry: int,
    max_payload: int,
) -> Multipart:
    """Read the two parts; the payload is written to ``payload_path``."""
    boundary = boundary_of(content_type)
    # base64 inflates by 4/3 plus line breaks; the headers and the entry add a little.
    reader = _Reader(stream, boundary, max_total=max_entry + max_payload * 14 // 10 + 4 * MAX_HEADER_BYTES + MAX_PREAMBLE)
    for _ in reader.until_delimiter(MAX_PREAMBLE, "/"):
        pass  # the preamble is ignored
    if not reader.after_delimiter():
        raise MultipartError("/atom", "the body has no parts: the Atom entry part is missing")

    atom_part = _headers(reader, "/atom")
    kind, params = atom_part.disposition()
    if params.get("name") == "payload":
        raise MultipartError("/atom", "the first part must be the Atom entry (name=\"atom\"), then the payload")
    if params.get("name") != "atom":
        raise MultipartError("/atom", 'the first part is not named "atom" (Content-Disposition: attachment; name="atom")')
    atom_type = atom_part.headers.get("content-type", "application/atom+xml").split(";")[0].strip().lower()
    if atom_type != "application/atom+xml":
        raise MultipartError("/atom/Content-Type", f"the Atom part is {atom_type!r}, not application/atom+xml")
    entry = b"".join(reader.until_delimiter(max_entry, "/atom"))
    atom_cte = atom_part.headers.get("content-transfer-encoding", "binary").lower()
    if atom_cte == "base64":
        decoder = _B64()
        entry = decoder.feed(entry) + decoder.close()
    elif atom_cte not in ("binary", "8bit", "7bit"):
        raise MultipartError("/atom/Content-Transfer-Encoding", f"{atom_cte!r} is not supported (binary or base64)")
    elif entry.strip() and not entry.lstrip().startswith(b"<"):
        # The Python sword2 client base64-encodes the entry without saying so: accept an
        # entry that is valid base64 of XML; anything else is left to the XML parser's error.
        try:
            decoded = base64.b64decode(re.sub(rb"\s+", b"", entry), validate=True)
        except binascii.Error:
            decoded = b""
        if decoded.lstrip().startswith(b"<"):
            entry = decoded
    if not entry.strip():
        raise MultipartError("/atom", "the Atom entry part is empty")
    if not reader.after_delimiter():
        raise MultipartError("/payload", "the payload part is missing (name=payload; filename=…)")

    media = _headers(reader, "/payload")
    _, mparams = media.disposition()
    if mparams.get("name") == "atom":
        raise MultipartError("/payload", "two Atom entry parts: the second part must be the payload")
    if mparams.get("name") != "payload":
        raise MultipartError("/payload", 'the second part is not named "payload" (Content-Disposition: attachment; name=payload; filename=…)')
    cte = media.headers.get("content-transfer-encoding", "binary").lower()
    if cte not in ("binary", "8bit", "7bit", "base64"):
        raise MultipartError("/payload/Content-Transfer-Encoding", f"{cte!r} is not supported (binary or base64)")
    content_md5 = media.headers.get("content-md5")
    expected = normalise_md5(content_md5, "/payload/Content-MD5") if content_md5 is not None else None
    decoder = _B64() if cte == "base64" else None
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    raw_limit = max_payload * 14 // 10 + 1024 if decoder else max_payload
    with open(payload_path, "wb") as out:
        for chunk in reader.until_delimiter(raw_limit, "/payload"):
            data = decoder.feed(chunk) if decoder else chunk
            size += len(data)
            if size > max_payload:
                raise TooLarge("/payload", f"the payload exceeds the limit of {max_payload} bytes")
            md5.update(data)
            out.write(data)
        if decoder:
            decoder.close()
    if reader.after_delimiter():
        raise MultipartError("/", "more than two parts: send exactly the Atom entry and one payload")
    reader.drain_epilogue()
    filename = mparams.get("filename")
    star = mparams.get("filename*")
    if star and "''" in star:
        from urllib.parse import unquote

        filename = unquote(star.split("''", 1)[1])
    return Multipart(
        entry=entry,
        payload_path=payload_path,
        payload_size=size,
        payload_md5=md5.hexdigest(),
        filename=filename,
        content_type=media.headers.get("content-type"),
        packaging=media.headers.get("packaging"),
        content_md5=expected,
        body_md5=reader.md5.hexdigest(),
    )
