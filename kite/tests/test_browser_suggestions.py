"""Suggested topics in a real Chromium: read without hovering, accepted or rejected in one click, with or without
JavaScript, and the outcome announced (DOC-07, UI-03, UI-05)."""

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD
from documents.tests.factories import DocumentFactory
from topics.models import DocumentTopic
from topics.tests.factories import TopicFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def suggested(alice, title: str, topic_name: str, confidence: float):
    topic = TopicFactory(owner=alice, name=topic_name)
    # A type no page previews: the factory puts no file in storage.
    document = DocumentFactory(owner=alice, title=title, content_type="application/zip")
    DocumentTopic.objects.create(
        document=document, topic=topic, source=DocumentTopic.Source.SUGGESTED, confidence=confidence
    )
    return document, topic


def test_a_suggestion_is_accepted_on_the_document_page_and_the_outcome_announced(page, alice, log_in):
    """The chip says "Suggested: Travel 19 %"; Accept files the document under Travel by hand, and the message
    saying so is in a status region that has the focus when the page loads."""
    document, travel = suggested(alice, "Hotel bill", "Travel", 0.19)
    log_in(alice)
    page.goto(page.base_url + document.get_absolute_url())
    chip = page.locator("#document-topics .suggestion")
    expect(chip).to_contain_text("Suggested: Travel 19\u00a0%")
    expect(page.get_by_role("checkbox", name="Travel")).not_to_be_checked()
    chip.get_by_role("button", name="Accept Travel").click()
    status = page.get_by_role("status").filter(has_text="filed under “Travel”")
    expect(status).to_be_focused()
    expect(status.get_by_role("listitem")).to_have_count(1)
    expect(page.locator("#document-topics .suggestion")).to_have_count(0)
    expect(page.get_by_role("checkbox", name="Travel")).to_be_checked()
    assert DocumentTopic.objects.get(document=document, topic=travel).source == "manual"


def test_a_suggestion_is_rejected_from_the_list_without_javascript(browser, live_server, alice, uploads):
    """The buttons are plain form submissions: with scripts off, Reject on the list removes the suggestion and
    leaves the person on the list."""
    document, travel = suggested(alice, "Hotel bill", "Travel", 0.42)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(alice.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server.url + "/documents/?q=hotel")
    expect(page.locator(".suggestion")).to_contain_text("Suggested: Travel 42\u00a0%")
    page.get_by_role("button", name="Reject Travel").click()
    expect(page).to_have_url(live_server.url + "/documents/?q=hotel")
    expect(page.get_by_role("status")).to_contain_text("will not be suggested again")
    expect(page.locator(".suggestion")).to_have_count(0)
    assert not DocumentTopic.objects.filter(document=document, topic=travel).exists()
    context.close()
