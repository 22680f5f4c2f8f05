"""Every page in a real Chromium: phone width, labels, keyboard, and the settings page's actions (UI-04, UI-05)."""

import re

import pytest
import requests
from playwright.sync_api import expect

from accounts.models import ApiToken
from conftest import upload_document
from devtools.testing.fake_llm import FakeOpenAI
from devtools.testing.samples import make_pdf
from topics.tests.factories import TopicFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}

# Form controls without a label, and links or buttons without a name, on the current page.
UNLABELLED = """() => [...document.querySelectorAll("input, select, textarea, button, a[href]")]
  .filter((el) => el.type !== "hidden")
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                  && !el.getAttribute("aria-labelledby") && !el.textContent.trim() && !el.querySelector("img[alt]"))
  .map((el) => el.outerHTML)"""


def check_page(page, path: str, heading: str) -> None:
    page.goto(page.base_url + path)
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{path} scrolls sideways"
    assert page.evaluate(UNLABELLED) == [], f"{path} has unlabelled controls"


def test_every_page_fits_a_phone_has_labelled_controls_and_no_console_errors(page, alice, alice_api, log_in):
    """UI-05, UI-04, UI-03, UI-02, UI-01: at 375 px every page fits the width, every control has a label, and
    no page logs a console error (the `page` fixture fails the test on any)."""
    page.set_viewport_size(PHONE)
    topic = TopicFactory(owner=alice, name="Invoices", description="Bills to pay")
    document = upload_document(
        alice_api,
        make_pdf("Invoice 7: a very long line of text " * 20),
        filename="invoice.pdf",
        content_type="application/pdf",
    )
    check_page(page, "/", "Your documents, filed for you.")
    check_page(page, "/accounts/signup/", "Create your Kite account")
    check_page(page, "/accounts/login/", "Log in")
    check_page(page, "/accounts/password_reset/", "Reset your password")
    log_in(alice)
    check_page(page, "/documents/", "Documents")
    check_page(page, "/documents/?q=nothing-matches-this", "Documents")
    check_page(page, "/documents/upload/", "Upload documents")
    check_page(page, f"/documents/{document['id']}/", "invoice")
    check_page(page, f"/documents/{document['id']}/delete/", "Move “invoice” to the trash?")
    check_page(page, "/documents/trash/", "Trash")
    check_page(page, "/topics/", "Topics")
    check_page(page, f"/topics/{topic.pk}/", "Edit topic")
    check_page(page, f"/topics/{topic.pk}/delete/", f"Delete the topic “{topic.name}”?")
    check_page(page, "/accounts/settings/", "Settings")
    check_page(page, "/accounts/password_change/", "Change your password")
    check_page(page, "/accounts/delete/", "Delete your account")


def test_keyboard_alone_reaches_the_upload_page_with_a_visible_focus(page, alice, log_in):
    """UI-05: the first Tab shows a visible "Skip to content" link; from the content, Tab and Enter open the
    upload page, whose file picker shows its focus on the "Choose files" button."""
    log_in(alice)
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Skip to content")
    assert focused.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    assert focused.bounding_box()["x"] >= 0
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Upload files")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/documents/upload/$"))
    page.locator("#files").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focus from the keyboard, so :focus-visible applies
    expect(page.locator(":focus")).to_have_id("files")
    label = page.locator("label[for=files]")
    assert label.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"


def test_settings_test_connection_and_api_tokens(page, alice, log_in, settings):
    """UI-04, DOC-03, ACC-03: "Test connection" says the built-in classifier needs none, runs a saved provider
    for real, and shows a provider's refusal readably; the API key never appears on the page. A new token is
    shown once, works, and stops working when revoked."""
    settings.KITE_PROVIDER_ALLOW_PRIVATE_URLS = True
    secret = "sk-kite-test-4711-do-not-show"
    log_in(alice)
    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator(".message.success")).to_have_text(
        "The built-in classifier works offline: there is no connection to test."
    )

    with FakeOpenAI() as server:
        page.get_by_label("Provider", exact=True).select_option("openai")
        page.get_by_label("Base URL", exact=True).fill(server.base_url)
        page.get_by_label("Model", exact=True).fill("small-model")
        page.get_by_label("API key", exact=True).fill(secret)
        page.get_by_role("button", name="Save provider").click()
        expect(page.locator(".message.success")).to_have_text("Provider settings saved.")
        expect(page.locator("#provider-effective")).to_contain_text("your own provider")

        page.get_by_role("button", name="Test connection").click()
        expect(page.locator(".message.success")).to_contain_text("OpenAI-compatible API (small-model) answered")
        assert [(r.api_key, r.model) for r in server.requests] == [(secret, "small-model")]

        server.script_error(401, f"Incorrect API key provided: {secret}")
        page.get_by_role("button", name="Test connection").click()
        expect(page.locator(".message.error")).to_have_text("The test failed: The provider rejected the API key (401).")
        assert secret not in page.content()

    page.get_by_label("Token name").fill("backup script")
    page.get_by_role("button", name="Create token").click()
    key = page.get_by_label("Your new token").input_value()
    assert ApiToken.objects.get(user=alice).name == "backup script"
    # Shown whole at phone width, with a Copy button that puts it on the clipboard.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=page.base_url)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == key
    quota_url = page.base_url + "/api/quota/"
    assert requests.get(quota_url, headers={"Authorization": f"Token {key}"}, timeout=10).status_code == 200
    page.get_by_role("link", name="Settings", exact=True).click()
    expect(page.get_by_role("cell", name="backup script", exact=True)).to_be_visible()
    assert key not in page.content()

    page.get_by_role("button", name="Revoke backup script").click()
    expect(page.locator(".message.success")).to_have_text("Token revoked.")
    expect(page.get_by_text("No tokens yet.")).to_be_visible()
    assert requests.get(quota_url, headers={"Authorization": f"Token {key}"}, timeout=10).status_code == 401


def test_the_document_page_reads_in_the_order_it_shows(page, alice, alice_api, log_in):
    """WCAG 1.3.2, 2.4.3: the side (topics, notes, actions) comes before the preview in the page, so Tab reaches the
    topic controls before a PDF viewer's own dozen stops; at phone width it also shows first, with a link down to
    the preview; on a wide screen the preview stands on the left."""
    document = upload_document(
        alice_api, make_pdf("Invoice 7, amount due 120 EUR."), filename="invoice.pdf", content_type="application/pdf"
    )
    log_in(alice)
    order = """() => {
        const side = document.querySelector('.detail-side'), main = document.querySelector('.detail-main');
        return {
            sideFirst: Boolean(side.compareDocumentPosition(main) & Node.DOCUMENT_POSITION_FOLLOWING),
            side: side.getBoundingClientRect().toJSON(), main: main.getBoundingClientRect().toJSON(),
        };
    }"""
    page.set_viewport_size(PHONE)
    page.goto(page.base_url + f"/documents/{document['id']}/")
    phone = page.evaluate(order)
    assert phone["sideFirst"] and phone["side"]["top"] < phone["main"]["top"]
    page.get_by_role("link", name="Go to the preview").click()
    assert page.evaluate("document.activeElement.id") == "preview"
    page.set_viewport_size({"width": 1280, "height": 900})
    wide = page.evaluate(order)
    assert wide["sideFirst"] and wide["main"]["left"] < wide["side"]["left"]
    expect(page.get_by_role("link", name="Go to the preview")).to_be_hidden()
