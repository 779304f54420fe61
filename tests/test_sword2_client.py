"""The SWORD v2 client used by the deposit tests (`sword2` from PyPI) works with current lxml.

sword2 0.3 declares ``lxml<5`` and ``httplib2<0.19``; the project installs it with
``--no-deps`` (README, .ci/run) so that untrusted XML is parsed by a current lxml. This test
keeps that choice honest until Alluvium's own SWORD endpoint (the preservation and SWORD issue)
is exercised by the same client: the client fetches a service document over real HTTP on
loopback, with Basic auth, and parses it with the installed lxml.
"""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import lxml
import pytest

sword2 = pytest.importorskip("sword2", reason="install it with: pip install --no-deps sword2")

SERVICE_DOCUMENT = b"""<?xml version="1.0" encoding="utf-8"?>
<service xmlns="http://www.w3.org/2007/app" xmlns:atom="http://www.w3.org/2005/Atom"
         xmlns:sword="http://purl.org/net/sword/terms/" xmlns:dcterms="http://purl.org/dc/terms/">
  <sword:version>2.0</sword:version>
  <sword:maxUploadSize>16777216</sword:maxUploadSize>
  <workspace>
    <atom:title>Alluvium</atom:title>
    <collection href="http://127.0.0.1/sword/collection/theia">
      <atom:title>THEIA \xe2\x80\x94 land surfaces</atom:title>
      <accept>*/*</accept>
      <accept alternate="multipart-related">*/*</accept>
      <sword:collectionPolicy>Reviewed by THEIA moderators</sword:collectionPolicy>
      <sword:mediation>false</sword:mediation>
      <sword:acceptPackaging>http://purl.org/net/sword/package/SimpleZip</sword:acceptPackaging>
      <sword:acceptPackaging>http://purl.org/net/sword/package/BagIt</sword:acceptPackaging>
      <sword:acceptPackaging>http://purl.org/net/sword/package/Binary</sword:acceptPackaging>
    </collection>
  </workspace>
</service>
"""


class _Handler(BaseHTTPRequestHandler):
    expected_auth = "Basic " + base64.b64encode(b"token-as-user:").decode()

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.headers.get("Authorization") != self.expected_auth:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="sword"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/atomsvc+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(SERVICE_DOCUMENT)))
        self.end_headers()
        self.wfile.write(SERVICE_DOCUMENT)

    def log_message(self, *args: object) -> None:
        return None


def test_sword2_reads_a_service_document_with_current_lxml() -> None:
    assert int(lxml.__version__.split(".")[0]) >= 5, "the project requires lxml >= 5 (current libxml2)"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/sword/service-document"
        conn = sword2.Connection(url, user_name="token-as-user", user_pass="")
        conn.get_service_document()
        assert conn.sd is not None and conn.sd.valid
        assert conn.sd.version == "2.0"
        ((workspace_title, collections),) = conn.workspaces
        assert workspace_title == "Alluvium"
        (collection,) = collections
        assert collection.title == "THEIA \u2014 land surfaces"
        assert collection.href == "http://127.0.0.1/sword/collection/theia"
        assert collection.mediation is False
        assert "http://purl.org/net/sword/package/BagIt" in collection.acceptPackaging
        assert collection.accept == ["*/*"] and collection.accept_multipart == ["*/*"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
