"""Times on the pages are in the person's own time zone, which their browser names, and say which zone."""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD
from documents.models import Note
from documents.tests.factories import DocumentFactory

AT = datetime(2026, 12, 2, 15, 21, tzinfo=UTC)


@pytest.fixture
def noted(alice):
    document = DocumentFactory(owner=alice, state="classified")
    Note.objects.filter(pk=Note.objects.create(document=document, text="Paid.").pk).update(created=AT)
    return document


@pytest.mark.parametrize(
    ("cookie", "shown"),
    [
        ("Europe/Berlin", "2 Dec 2026, 16:21 CET"),
        ("America/New_York", "2 Dec 2026, 10:21 EST"),
        (None, "2 Dec 2026, 15:21 UTC"),
        ("Not/A_Zone", "2 Dec 2026, 15:21 UTC"),
        ("../../etc/passwd", "2 Dec 2026, 15:21 UTC"),
    ],
)
def test_times_follow_the_zone_the_browser_names_or_say_utc(client, alice, noted, cookie, shown):
    client.force_login(alice)
    if cookie is not None:
        client.cookies["kite_tz"] = cookie
    answer = client.get(f"/documents/{noted.pk}/")
    assert answer.status_code == 200
    assert shown in answer.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_browser_tells_kite_its_zone(browser, live_server, alice, noted):
    context = browser.new_context(timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Username").fill(alice.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/documents/$"))
        page.goto(live_server.url + f"/documents/{noted.pk}/")
        expect(page.locator(".note time")).to_have_text("3 Dec 2026, 00:21 JST")
    finally:
        context.close()
