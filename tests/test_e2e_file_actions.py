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
