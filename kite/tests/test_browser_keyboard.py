"""The whole flow with the keyboard alone: sign up, upload, search, open, rename, change topics, move to trash.

Every step reaches its control by Tab from where the previous one left focus, and works it with Enter, Space or
typing, as someone who uses no mouse does. A control that Tab cannot reach, or that a key cannot work, fails the
test at that step.
"""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from documents.models import Document
from kite.tests.conftest import make_topics, teach

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TABS = 80


def tab_to(page, locator) -> None:
    """Press Tab until `locator` has the focus (at most MAX_TABS presses), as a keyboard user moves on."""
    target = locator.element_handle()
    assert target is not None
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("(el) => document.activeElement === el", target):
            return
    raise AssertionError(f"Tab never reached {locator}")


def test_sign_up_upload_search_open_rename_file_and_trash_with_the_keyboard_alone(page, worker, tmp_path):
    letter = tmp_path / "harbour-letter.txt"
    letter.write_bytes(
        b"Tenancy agreement for the apartment at 4 Harbour Street. Monthly rent 950 EUR, deposit to the landlord.\n"
    )
    # Playwright asks Chromium to hand file choosers over only once something listens for them, and that request
    # can arrive after the key that opens one. Listening from the start leaves the chooser below no race to lose.
    page.on("filechooser", lambda _chooser: None)
    page.goto(page.base_url + "/")

    # Sign up.
    tab_to(page, page.get_by_role("link", name="Sign up").first)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/accounts/signup/$"))
    tab_to(page, page.get_by_label("Username"))
    page.keyboard.type("kim")
    tab_to(page, page.get_by_label("Password", exact=True))
    page.keyboard.type("a long passphrase 42")
    tab_to(page, page.get_by_label("Password confirmation"))
    page.keyboard.type("a long passphrase 42")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/documents/$"))
    kim = User.objects.get(username="kim")
    topics = make_topics(kim)
    teach(kim, topics)

    # Upload: the file input opens its chooser from the keyboard.
    tab_to(page, page.get_by_role("link", name="Upload", exact=True).first)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/documents/upload/$"))
    tab_to(page, page.locator("#files"))
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(letter))
    expect(page.locator("#uploads .upload-item.done")).to_have_count(1)
    document = Document.objects.get(owner=kim)
    expect(page.locator("#uploads .badge")).to_have_text(re.compile("Classified|Skipped"), timeout=60_000)

    # Search, and open the match.
    tab_to(page, page.get_by_role("link", name="Documents", exact=True).first)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/documents/$"))
    tab_to(page, page.get_by_label("Search"))
    page.keyboard.type("harbour")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=harbour"))
    result = page.get_by_role("link", name="harbour-letter")
    expect(result).to_have_count(1)
    tab_to(page, result)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/documents/{document.pk}/$"))

    # Rename.
    tab_to(page, page.locator("summary", has_text="Rename"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Title"))
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Lease, Harbour Street")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lease, Harbour Street")

    # File it under Travel as well, by hand.
    tab_to(page, page.get_by_role("checkbox", name="Travel"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Save topics"))
    page.keyboard.press("Enter")
    expect(page.locator("#messages")).to_contain_text("Topics saved.")
    assert document.assignments.filter(topic=topics["Travel"], source="manual").exists()

    # Move it to the trash.
    tab_to(page, page.get_by_role("link", name="Move to trash…"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("button", name="Move to trash"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/documents/$"))
    expect(page.locator("#messages")).to_contain_text("Moved “Lease, Harbour Street” to the trash.")
    document.refresh_from_db()
    assert document.title == "Lease, Harbour Street" and document.deleted_at is not None
