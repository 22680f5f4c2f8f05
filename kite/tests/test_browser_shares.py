"""Share links and the activity page in a real Chromium (LIFE-04, LIFE-06, UI-05): the owner makes, copies and
revokes a link on the document page; a fresh browser with no session opens it."""

import re
from importlib import resources

import pytest
from playwright.sync_api import expect

from conftest import upload_document
from kite.tests.test_browser_pages import PHONE, check_page
from shares.models import ShareLink

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILE_BYTES = b"Minutes of the harbour board, shared with the auditors.\n" * 4


@pytest.fixture
def stranger(browser, page):
    """A second, fresh browser context: no cookies, no session, nobody logged in."""
    context = browser.new_context(accept_downloads=True)
    stranger = context.new_page()
    stranger.set_default_timeout(20_000)
    stranger.console_errors = errors = []
    stranger.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    stranger.on("pageerror", lambda error: errors.append(str(error)))
    yield stranger
    context.close()
    assert errors == [], f"console errors: {errors}"


NOT_FOUND = "Failed to load resource: the server responded with a status of 404 (Not Found)"


def expect_not_found(stranger, answer) -> None:
    """The page answered 404, as meant: the one console line that logs is no fault."""
    assert answer.status == 404
    expect(stranger.get_by_role("heading", level=1)).to_have_text("This link does not open")
    stranger.console_errors.remove(NOT_FOUND)


def download_through(stranger) -> bytes:
    with stranger.expect_download() as info:
        stranger.get_by_role("link", name="Download").click()
    download = info.value
    assert download.suggested_filename == "harbour-minutes.txt"
    with open(download.path(), "rb") as file:
        return file.read()


def test_a_link_made_on_the_page_opens_in_a_fresh_browser_and_can_be_revoked(page, stranger, alice, alice_api, log_in):
    """LIFE-04, LIFE-06: alice makes a link on her document's page and copies it; a browser with no session sees
    only the title and downloads the file; her page then counts the open, her activity shows it, and once she
    revokes the link the stranger gets the not-found page."""
    document = upload_document(alice_api, FILE_BYTES, filename="harbour-minutes.txt")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=page.base_url)
    log_in(alice)
    page.goto(f"{page.base_url}/documents/{document['id']}/")
    expect(page.locator("#no-share-links")).to_be_visible()
    page.get_by_text("Make a link").click()
    page.get_by_label("Expires after (days)").fill("3")
    page.get_by_role("button", name="Make link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Link made")
    url = page.get_by_label("Copy the link now").input_value()
    assert re.fullmatch(re.escape(page.base_url) + r"/s/[A-Za-z0-9_-]{43}/", url)
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == url

    stranger.goto(url)
    expect(stranger.get_by_role("heading", level=1)).to_have_text("harbour-minutes")
    body = stranger.locator("body").inner_text()
    assert "alice" not in body and "Documents" not in body and "Log out" not in body
    assert download_through(stranger) == FILE_BYTES
    assert ShareLink.objects.get().opens == 1

    page.goto(f"{page.base_url}/documents/{document['id']}/")
    link = page.locator(".share-link")
    expect(link).to_contain_text("opened 1 time")
    page.goto(f"{page.base_url}/activity/")
    expect(page.locator("#activity li").first).to_contain_text("Share link opened")
    expect(page.locator("#activity li").first.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-"))

    page.goto(f"{page.base_url}/documents/{document['id']}/")
    page.locator(".share-link").get_by_role("button", name=re.compile("Revoke")).click()
    expect(page.get_by_role("status").first).to_contain_text("The link was revoked")
    expect(page.locator("#no-share-links")).to_be_visible()
    expect_not_found(stranger, stranger.goto(url))


def test_a_password_link_asks_first_in_a_fresh_browser(page, stranger, alice, alice_api):
    """LIFE-04: a stranger opening a link with a password sees the form and no download; a wrong password is
    refused, the right one shows the download, which works."""
    document = upload_document(alice_api, FILE_BYTES, filename="harbour-minutes.txt")
    answer = alice_api.post(f"/api/documents/{document['id']}/shares/", {"password": "tide tables"}, format="json")
    url = answer.json()["url"].replace("http://testserver", page.base_url)
    stranger.goto(url)
    expect(stranger.get_by_role("heading", level=1)).to_have_text("harbour-minutes")
    expect(stranger.get_by_role("link", name="Download")).to_have_count(0)
    stranger.get_by_label("Password").fill("low tide")
    stranger.get_by_role("button", name="Continue").click()
    expect(stranger.get_by_role("alert")).to_contain_text("not the password")
    stranger.get_by_label("Password").fill("tide tables")
    stranger.get_by_role("button", name="Continue").click()
    assert download_through(stranger) == FILE_BYTES


def test_share_and_activity_pages_fit_a_phone_with_labelled_controls(page, stranger, alice, alice_api, log_in):
    """UI-05: the document page's Share section, the page showing a new link, the activity page and a link's
    public pages fit 375 px with every control labelled."""
    page.set_viewport_size(PHONE)
    stranger.set_viewport_size(PHONE)
    document = upload_document(alice_api, FILE_BYTES, filename="harbour-minutes.txt")
    answer = alice_api.post(f"/api/documents/{document['id']}/shares/", {"password": "pw"}, format="json")
    url = answer.json()["url"].replace("http://testserver", page.base_url)
    log_in(alice)
    check_page(page, f"/documents/{document['id']}/", "harbour-minutes")
    page.get_by_text("Make a link").click()
    page.get_by_role("button", name="Make link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Link made")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_page(page, "/activity/", "Activity")
    stranger.base_url = page.base_url
    check_page(stranger, url.removeprefix(page.base_url), "harbour-minutes")
    check_page(stranger, "/s/unknown/", "This link does not open")
    stranger.console_errors.remove(NOT_FOUND)


AXE = (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[str]:
    """What axe-core (WCAG 2.1 A and AA) finds on the page as it is now, one line per rule."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE + "\n;undefined")  # through the debugging protocol, which the CSP does not govern
    return page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`)",
        AXE_TAGS,
    )


def test_axe_finds_nothing_on_the_share_and_activity_pages(page, stranger, alice, alice_api, log_in):
    """UI-05, LIFE-04, LIFE-06: axe-core finds no violation on the Share section, a new link's page, the
    activity page, or a link's public pages (title, password form, wrong password, not found), at desktop and
    phone width, in light and dark mode."""
    document = upload_document(alice_api, FILE_BYTES, filename="harbour-minutes.txt")
    open_url = alice_api.post(f"/api/documents/{document['id']}/shares/", {}, format="json").json()["url"]
    locked_url = alice_api.post(f"/api/documents/{document['id']}/shares/", {"password": "pw"}, format="json")
    locked = locked_url.json()["url"].replace("http://testserver", "")
    log_in(alice)
    found = []
    for scheme in ["light", "dark"]:
        for viewport in [{"width": 1280, "height": 900}, PHONE]:
            for browser_page in (page, stranger):
                browser_page.emulate_media(color_scheme=scheme)
                browser_page.set_viewport_size(viewport)
            where = f"{viewport['width']} px, {scheme}"
            page.goto(f"{page.base_url}/documents/{document['id']}/")
            page.get_by_text("Make a link").click()
            found += [f"document page ({where}): {line}" for line in axe_violations(page)]
            page.get_by_role("button", name="Make link").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Link made")
            found += [f"new link ({where}): {line}" for line in axe_violations(page)]
            page.goto(f"{page.base_url}/activity/")
            found += [f"activity ({where}): {line}" for line in axe_violations(page)]
            stranger.goto(page.base_url + open_url.replace("http://testserver", ""))
            found += [f"public page ({where}): {line}" for line in axe_violations(stranger)]
            stranger.goto(page.base_url + locked)
            found += [f"password form ({where}): {line}" for line in axe_violations(stranger)]
            stranger.get_by_label("This link has a password").fill("wrong")
            stranger.get_by_role("button", name="Continue").click()
            expect(stranger.get_by_role("alert")).to_be_visible()
            found += [f"wrong password ({where}): {line}" for line in axe_violations(stranger)]
            expect_not_found(stranger, stranger.goto(page.base_url + "/s/unknown/"))
            found += [f"not found ({where}): {line}" for line in axe_violations(stranger)]
    assert found == []
