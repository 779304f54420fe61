#!/usr/bin/env python3
"""A large upload through the deposit form's widget in headless chromium, cut by a browser restart.

Starts a throw-away Alluvium server (bench/upload.py's ``throwaway_server``), writes a file of
``--size`` random bytes to disk (a new random 1 MiB block each time, so nothing can be
deduplicated), signs in as the producer in Debian's chromium driven by Playwright, and chooses
the file in the deposit form: tus-js-client sends it in 8 MiB PATCHes. Once ``--cut`` percent
is stored the browser is closed (its profile kept on disk), a new browser is started on the same
profile, signs in again and chooses the same file: tus-js-client finds the upload URL it stored
by the file's fingerprint, asks the server for its offset (HEAD) and sends the rest.

Prints the throughput (time spent uploading, restart excluded, and wall time), the offset at
which the upload resumed, the server's RSS growth (VmHWM over its process tree; fails at 64 MB
or more), and checks the SHA-256 the server recorded, and of the stored object read back
through the API, against the file's. The file and the instance are deleted at the end.

    python3 bench/browser_upload.py --size 5G --workdir /var/tmp
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from upload import (  # noqa: E402  (bench/ is not a package)
    BLOCK,
    MB,
    _fs_type,
    create_record,
    fmt_mib,
    parse_size,
    throwaway_server,
    tree_peak_rss_kib,
)

CHROMIUM = "/usr/bin/chromium"
EMAIL, PASSWORD = "bench@example.org", "bench-password"


def write_random_file(path: Path, size: int) -> str:
    """``size`` random bytes (a fresh random block each MiB); returns their SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        left = size
        while left:
            block = os.urandom(min(BLOCK, left))
            digest.update(block)
            out.write(block)
            left -= len(block)
    return digest.hexdigest()


def api_json(port: int, token: str, method: str, url: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, url, headers={"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"})
        response = conn.getresponse()
        body = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, (json.loads(body) if body and method != "HEAD" else headers)
    finally:
        conn.close()


def stored_sha256(port: int, token: str, record_id: str, key: str) -> str:
    """SHA-256 of the stored object, read back through GET /api/records/{id}/files/{key}."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        conn.request(
            "GET", f"/api/records/{record_id}/files/{key}", headers={"Authorization": f"Bearer {token}"}
        )
        response = conn.getresponse()
        if response.status != 200:
            raise SystemExit(f"GET {key}: {response.status}")
        digest = hashlib.sha256()
        while chunk := response.read(BLOCK):
            digest.update(chunk)
        return digest.hexdigest()
    finally:
        conn.close()


def sign_in_and_open(context, base: str, record_id: str):  # type: ignore[no-untyped-def]
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{base}/me")
    page.goto(f"{base}/records/{record_id}/edit")
    page.wait_for_selector("#save-state[data-state=saved]", timeout=30_000)
    return page


def run(size: int, cut: float, workdir: str | None, override: str | None) -> None:
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    with tempfile.TemporaryDirectory(prefix="alluvium-browser-bench-", dir=workdir) as scratch:
        data = Path(scratch) / "bench-upload.bin"
        started = time.perf_counter()
        expected = write_random_file(data, size)
        print(
            f"file: {data} ({size} bytes, {size / 1024**3:.2f} GiB, {_fs_type(data)}), "
            f"written and hashed in {time.perf_counter() - started:.1f} s"
        )
        profile = Path(scratch) / "chromium-profile"  # kept across the restart: tus-js-client's localStorage
        with throwaway_server(workdir, override, PASSWORD, "read,deposit") as (port, token, server, instance):
            base = f"http://127.0.0.1:{port}"
            print(f"server: pid {server.pid}, port {port}, instance {instance} ({_fs_type(Path(instance))})")
            record_id = create_record(port, token)
            started_rss, _ = tree_peak_rss_kib(server.pid)
            patches: list[tuple[str, int]] = []  # (upload URL, Upload-Offset) of each PATCH sent

            def on_request(request) -> None:  # type: ignore[no-untyped-def]
                if request.method == "PATCH" and "/draft/uploads/" in request.url:
                    patches.append((request.url, int(request.headers["upload-offset"])))

            with sync_playwright() as p:
                # First browser: upload until --cut percent is stored, then close the browser.
                context = p.chromium.launch_persistent_context(
                    str(profile), executable_path=CHROMIUM, headless=True, args=args
                )
                page = sign_in_and_open(context, base, record_id)
                # Measured from here: the server has rendered the form once (templates, schema and
                # vocabularies loaded); what grows after this is the upload's doing.
                baseline, _ = tree_peak_rss_kib(server.pid)
                page.on("request", on_request)
                t0 = time.perf_counter()
                page.set_input_files("#\\/file", str(data))
                page.wait_for_function(
                    f"() => (document.querySelector('#uploads progress')?.value || 0) >= {cut}",
                    timeout=0,
                    polling=500,
                )
                first_seconds = time.perf_counter() - t0
                context.close()
                upload_url = patches[0][0].removeprefix(base)
                print(f"browser closed after {first_seconds:.1f} s, at {cut:g} % or more")
                restart = time.perf_counter()

                # Second browser, same profile: choosing the same file resumes it.
                context = p.chromium.launch_persistent_context(
                    str(profile), executable_path=CHROMIUM, headless=True, args=args
                )
                page = sign_in_and_open(context, base, record_id)
                # What the server holds now (a PATCH in flight when the browser closed may have
                # been stored after it): the resumed upload must start there.
                status, head = api_json(port, token, "HEAD", upload_url)
                held = int(head.get("upload-offset", -1)) if status == 200 else -1
                print(f"the server holds {held} bytes ({held / size:.1%}) of {upload_url}")
                resumed_from = len(patches)
                page.on("request", on_request)
                t1 = time.perf_counter()
                restart_seconds = t1 - restart
                page.set_input_files("#\\/file", str(data))
                page.wait_for_selector('#uploads li[data-state="done"] code.sha256', timeout=0)
                second_seconds = time.perf_counter() - t1
                shown = page.inner_text("#uploads code.sha256").strip()
                context.close()
            peak, peak_pid = tree_peak_rss_kib(server.pid)
            status, listing = api_json(port, token, "GET", f"/api/records/{record_id}/files")
            entry = next(e for e in listing["entries"] if e["key"] == data.name)
            t2 = time.perf_counter()
            read_back = stored_sha256(port, token, record_id, data.name)
            read_seconds = time.perf_counter() - t2

    later = patches[resumed_from:]
    resume_offset = later[0][1] if later else -1
    same_upload = bool(later) and later[0][0].removeprefix(base) == upload_url
    seconds = first_seconds + second_seconds
    print(f"browser upload (deposit form, tus-js-client, 8 MiB PATCHes) of {size} bytes:")
    print(f"  first browser: {first_seconds:.1f} s; restart and sign-in: {restart_seconds:.1f} s")
    print(
        f"  second browser: resumed at offset {resume_offset} ({resume_offset / size:.1%}) of the same upload: "
        f"{'yes' if same_upload else 'NO'}; {second_seconds:.1f} s for the rest"
    )
    print(
        f"  throughput: {size / seconds / MB:.1f} MB/s uploading (restart excluded), "
        f"{size / (seconds + restart_seconds) / MB:.1f} MB/s wall"
    )
    growth = (peak - baseline) * 1024 / MB
    print(
        f"  server peak RSS (VmHWM, pid {peak_pid}): {fmt_mib(peak)} (after start-up: {fmt_mib(started_rss)}, "
        f"once the form was served: {fmt_mib(baseline)})"
    )
    print(f"  server RSS growth: {growth:.1f} MB ({'OK' if growth < 64 else 'FAIL'}: must stay under 64 MB)")
    print(f"  SHA-256 of the file:           {expected}")
    print(f"  SHA-256 recorded by the server: {entry['checksum']['sha256']} (form shows {shown})")
    print(f"  SHA-256 of the object read back: {read_back} ({read_seconds:.1f} s)")
    ok = (
        growth < 64
        and same_upload
        and resume_offset == held
        and 0 < resume_offset < size
        and entry["size"] == size
        and expected == entry["checksum"]["sha256"] == shown == read_back
    )
    print("OK" if ok else "FAIL")
    if not ok:
        raise SystemExit(1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("5G"), help="file size (default 5G)")
    parser.add_argument("--cut", type=float, default=50.0, help="percent stored when the browser is closed")
    parser.add_argument("--workdir", help="where to put the file, the instance and the profile")
    parser.add_argument("--alluvium", help="command to run the CLI (default: the installed 'alluvium')")
    args = parser.parse_args(argv)
    if not 0 < args.cut < 100:
        parser.error("--cut must be between 0 and 100")
    run(args.size, args.cut, args.workdir, args.alluvium)


if __name__ == "__main__":
    main()
