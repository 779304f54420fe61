"""Renaming and deleting a draft's files from the deposit form, and the overall upload bar,
in Debian's chromium (Playwright); every state checked with axe-core like the other journeys."""

from __future__ import annotations

import pytest

from schemas.examples import minimal_example
from tests.test_e2e_deposit import PASSWORD, check_page, sign_in, wait_saved

pytestmark = pytest.mark.e2e


def _keys(api, rid: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(e["key"] for e in api.get(f"/api/records/{rid}/files").json["entries"])


def _draft_with_files(factory, email: str):  # type: ignore[no-untyped-def]
    producer = factory.user(email, password=PASSWORD)
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    assert producer.put(f"/api/records/{rid}/draft/files/a.csv", data=b"a,b\n1,2\n").status_code == 201
    assert producer.put(f"/api/records/{rid}/draft/files/b.csv", data=b"c,d\n3,4\n").status_code == 201
    return producer, rid


def test_rename_and_delete_a_file_in_place(factory, live_server, browser) -> None:  # type: ignore[no-untyped-def]
    producer, rid = _draft_with_files(factory, "files@example.org")
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, "files@example.org")
    page.goto(f"{live_server}/records/{rid}/edit")
    wait_saved(page)
    item = '#file-list li.file[data-key="a.csv"]'
    page.click(f"{item} details.file-actions > summary")
    check_page(page, "edit-file-actions")

    # Rename with the keyboard: the list shows the new name, focus stays on that file.
    page.fill(f"{item} input[name=new_key]", "series/a 2019.csv")
    page.press(f"{item} input[name=new_key]", "Enter")
    renamed = '#file-list li.file[data-key="series/a 2019.csv"]'
    page.wait_for_selector(renamed)
    assert page.query_selector(item) is None
    assert _keys(producer, rid) == ["b.csv", "series/a 2019.csv"]
    assert "a.csv renamed to series/a 2019.csv" in page.inner_text("#files-status")
    assert page.evaluate("document.activeElement.closest('li.file')?.dataset.key") == "series/a 2019.csv"

    # Onto a name the draft already has: the error is beside the field, nothing changes.
    page.click(f"{renamed} details.file-actions > summary")
    page.fill(f"{renamed} input[name=new_key]", "b.csv")
    page.click(f"{renamed} form.rename-form button[type=submit]")
    page.wait_for_selector(f"{renamed} .error-message:not([hidden])")
    assert "already has a file named 'b.csv'" in page.inner_text(f"{renamed} .error-message")
    assert page.get_attribute(f"{renamed} input[name=new_key]", "aria-invalid") == "true"
    check_page(page, "edit-file-rename-error")
    assert _keys(producer, rid) == ["b.csv", "series/a 2019.csv"]

    # Delete asks first; "cancel" keeps the file.
    other = '#file-list li.file[data-key="b.csv"]'
    page.click(f"{other} details.file-actions > summary")
    asked: list[str] = []

    def dismiss(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click(f"{other} form.delete-form button")
    page.wait_for_timeout(300)
    assert asked == ["Delete b.csv from this draft?"]
    assert _keys(producer, rid) == ["b.csv", "series/a 2019.csv"]
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"{other} form.delete-form button")
    page.wait_for_selector(other, state="detached")
    assert _keys(producer, rid) == ["series/a 2019.csv"]
    assert "b.csv deleted" in page.inner_text("#files-status")
    check_page(page, "edit-file-deleted")
    context.close()


def test_without_javascript_rename_and_delete_post_the_form(factory, live_server, browser) -> None:  # type: ignore[no-untyped-def]
    producer, rid = _draft_with_files(factory, "nojsfiles@example.org")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, "nojsfiles@example.org")
    page.goto(f"{live_server}/records/{rid}/edit")
    item = '#file-list li.file[data-key="a.csv"]'
    page.click(f"{item} details.file-actions > summary")
    page.fill(f"{item} input[name=new_key]", "renamed.csv")
    page.click(f"{item} form.rename-form button[type=submit]")
    page.wait_for_selector('#file-list li.file[data-key="renamed.csv"]')
    assert _keys(producer, rid) == ["b.csv", "renamed.csv"]
    other = '#file-list li.file[data-key="b.csv"]'
    page.click(f"{other} details.file-actions > summary")  # the disclosure is the confirmation step
    page.click(f"{other} form.delete-form button")
    page.wait_for_selector(other, state="detached")
    assert _keys(producer, rid) == ["renamed.csv"]
    context.close()


def test_overall_bar_follows_uploads_and_stored_files_can_be_deleted(factory, live_server, browser) -> None:  # type: ignore[no-untyped-def]
    producer = factory.user("bar@example.org", password=PASSWORD)
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, "bar@example.org")
    page.goto(f"{live_server}/records/{rid}/edit")
    wait_saved(page)
    assert page.is_hidden("#overall")
    page.set_input_files(
        "#\\/file",
        files=[
            {"name": "one.bin", "mimeType": "application/octet-stream", "buffer": b"1" * 300_000},
            {"name": "two.bin", "mimeType": "application/octet-stream", "buffer": b"2" * 100_000},
        ],
    )
    page.wait_for_function(
        "() => document.querySelectorAll('#uploads li[data-state=\"done\"]').length === 2", timeout=20_000
    )
    page.wait_for_selector('#overall[data-percent="100"]')
    assert page.get_attribute("#overall-bar", "value") == "100"
    assert page.get_attribute("#overall-bar", "aria-label") == "Progress of all uploads"
    assert page.inner_text("#overall-status") == "All uploads: 100 % (2 of 2 files)"
    # The stored files join the list, with their rename and delete controls.
    page.wait_for_selector('#file-list li.file[data-key="two.bin"] form.delete-form', state="attached")
    check_page(page, "edit-overall-bar")
    page.click('#file-list li.file[data-key="two.bin"] details.file-actions > summary')
    page.once("dialog", lambda dialog: dialog.accept())
    page.click('#file-list li.file[data-key="two.bin"] form.delete-form button')
    page.wait_for_selector('#file-list li.file[data-key="two.bin"]', state="detached")
    assert _keys(producer, rid) == ["one.bin"]
    context.close()


def test_an_upload_cut_midway_offers_retry_and_resumes_from_the_stored_bytes(
    factory, live_server, browser
) -> None:  # type: ignore[no-untyped-def]
    """Cut in the middle of the file, not at byte 0: the first request delivers only part of
    its chunk (what a connection cut mid-request leaves stored), the next one is refused; "Retry"
    asks the server for its offset and sends the remainder only."""
    import hashlib
    import os

    producer = factory.user("retry@example.org", password=PASSWORD)
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    body = os.urandom(9 * 1024 * 1024)  # an 8 MiB tus chunk, then 1 MiB
    cut = 3 * 1024 * 1024 + 123  # not a chunk boundary: only the server can know it
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, "retry@example.org")
    page.goto(f"{live_server}/records/{rid}/edit")
    wait_saved(page)

    patches: list[str] = []

    def interrupt(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.method != "PATCH":
            route.continue_()
            return
        patches.append(route.request.url)
        if len(patches) == 1:
            route.continue_(post_data=route.request.post_data_buffer[:cut])
        else:  # a 403 is not retried by tus-js-client by itself
            route.fulfill(
                status=403, content_type="application/json", body='{"message": "refused for the test"}'
            )

    page.route("**/draft/uploads/**", interrupt)
    page.set_input_files(
        "#\\/file", files=[{"name": "r.bin", "mimeType": "application/octet-stream", "buffer": body}]
    )
    page.wait_for_selector('#uploads li[data-state="failed"]', timeout=30_000)
    assert "refused for the test" in page.inner_text("#uploads li.upload p")
    assert 0 < int(page.evaluate("document.querySelector('#uploads progress').value")) < 100
    # The server holds the first bytes of the upload, and only them; no file in the draft yet.
    url = patches[0].removeprefix(live_server)
    stored = producer.client.head(url, headers=producer._headers({"Tus-Resumable": "1.0.0"}))
    assert stored.status_code == 200 and int(stored.headers["Upload-Offset"]) == cut
    assert _keys(producer, rid) == []
    retry = page.locator("#uploads li.upload button", has_text="Retry")
    assert retry.count() == 1
    check_page(page, "edit-upload-failed")
    page.unroute("**/draft/uploads/**")

    # Each PATCH from now on: (offset it starts at, offset the server answers once stored).
    resumed: list[tuple[int, int]] = []
    page.on(
        "response",
        lambda r: (
            resumed.append((int(r.request.headers["upload-offset"]), int(r.headers["upload-offset"])))
            if r.request.method == "PATCH" and "/draft/uploads/" in r.url
            else None
        ),
    )
    retry.click()
    page.wait_for_selector('#uploads li[data-state="done"] code.sha256', timeout=30_000)
    assert page.inner_text("#uploads code.sha256") == hashlib.sha256(body).hexdigest()
    assert resumed[0][0] == cut, resumed
    # The server received the remainder only, in order, up to the last byte.
    assert resumed[-1][1] == len(body), resumed
    assert all(end > start for start, end in resumed), resumed
    assert all(a[1] == b[0] for a, b in zip(resumed, resumed[1:], strict=False)), resumed
    assert _keys(producer, rid) == ["r.bin"]
    assert hashlib.sha256(producer.get(f"/api/records/{rid}/files/r.bin").data).hexdigest() == (
        hashlib.sha256(body).hexdigest()
    )
    context.close()


# A dropped folder as Chromium hands it over: FileSystemDirectoryEntry / FileSystemFileEntry
# objects behind DataTransferItem.webkitGetAsEntry(). A real OS drag cannot be driven from
# Playwright, so the entries are plain objects with the same interface (readEntries in batches,
# then an empty batch), and the drop event carries them.
DROP_FOLDER = """() => {
  const file = (name, text) => ({ isFile: true, isDirectory: false, name,
    file: (ok) => ok(new File([text], name, { type: "text/plain" })) });
  const dir = (name, children) => ({ isFile: false, isDirectory: true, name,
    createReader() { let sent = false;
      return { readEntries(ok) { const batch = sent ? [] : children; sent = true; setTimeout(() => ok(batch)); } }; } });
  const tree = dir("campaign", [file("readme.txt", "top"), dir("2019", [file("buoys.csv", "a,b")])]);
  const loose = file("loose.txt", "loose");
  const items = [tree, loose].map((entry) => ({ kind: "file", webkitGetAsEntry: () => entry }));
  const drop = new Event("drop", { bubbles: true, cancelable: true });
  Object.defineProperty(drop, "dataTransfer", { value: { items, files: [] } });
  document.getElementById("upload-form").dispatchEvent(drop);
}"""


def test_a_dropped_folder_is_walked_and_paths_kept_as_keys(factory, live_server, browser) -> None:  # type: ignore[no-untyped-def]
    producer = factory.user("folder@example.org", password=PASSWORD)
    rid = producer.post("/api/records", json={"metadata": minimal_example()}).json["id"]
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, "folder@example.org")
    page.goto(f"{live_server}/records/{rid}/edit")
    wait_saved(page)
    page.evaluate(DROP_FOLDER)
    page.wait_for_function(
        "() => document.querySelectorAll('#uploads li[data-state=\"done\"]').length === 3", timeout=20_000
    )
    assert _keys(producer, rid) == ["campaign/2019/buoys.csv", "campaign/readme.txt", "loose.txt"]
    assert producer.get(f"/api/records/{rid}/files/campaign/2019/buoys.csv").data == b"a,b"
    context.close()
