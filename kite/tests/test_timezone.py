"""Times on the pages are in the person's own time zone, which their browser names, and say which zone; they are
written as the person's region writes them (the browser's `Accept-Language`), in Kite's English."""

import re
from datetime import UTC, date, datetime

import pytest
from babel import Locale
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD
from documents.models import Note
from documents.tests.factories import DocumentFactory
from kite import locales

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


@pytest.mark.parametrize(
    ("accept_language", "moment", "day"),
    # CLDR puts a narrow no-break space (U+202F) before AM and PM: the time never wraps there.
    [
        ("en-US,en;q=0.9", "Dec 2, 2026, 4:21\u202fPM CET", "Nov 3, 2026"),
        ("de-DE,de;q=0.9,en;q=0.8", "2 Dec 2026, 16:21 CET", "3 Nov 2026"),
        ("de", "2 Dec 2026, 16:21 CET", "3 Nov 2026"),  # German's likely region
        ("en-AU", "2 Dec 2026, 4:21\u202fpm CET", "3 Nov 2026"),
        ("fr-CA", "Dec 2, 2026, 4:21\u202fp.m. CET", "Nov 3, 2026"),
        ("ja-JP", "Dec 2, 2026, 16:21 CET", "Nov 3, 2026"),
        ("zh-CN", "2 Dec 2026, 16:21 CET", "3 Nov 2026"),  # no English for China in CLDR: its 24-hour clock
        ("es-MX", "2 Dec 2026, 4:21\u202fpm CET", "3 Nov 2026"),  # nor for Mexico: its 12-hour clock
        ("", "2 Dec 2026, 16:21 CET", "3 Nov 2026"),
        ("xx-!!, ;q=", "2 Dec 2026, 16:21 CET", "3 Nov 2026"),
        # Norwegian as a whole: CLDR's likely region for it names a locale Babel has no data for.
        ("no", "2 Dec 2026, 16:21 CET", "3 Nov 2026"),
        # Past the length read, the header is read up to its last whole entry, not cut inside one.
        ("en-US;q=0.9," + ",".join(["de-DE;q=0.5"] * 25), "Dec 2, 2026, 4:21\u202fPM CET", "Nov 3, 2026"),
    ],
)
def test_dates_are_written_as_the_persons_region_writes_them(client, alice, noted, accept_language, moment, day):
    noted.date = date(2026, 11, 3)
    noted.save()
    client.force_login(alice)
    client.cookies["kite_tz"] = "Europe/Berlin"
    page = client.get(f"/documents/{noted.pk}/", headers={"Accept-Language": accept_language}).content.decode()
    assert f'<time class="muted" datetime="2026-12-02T16:21:00+01:00">{moment}</time>' in page
    assert f'aria-label="Delete the note of {moment}"' in page  # as the note's time is shown
    assert f'<time datetime="2026-11-03">{day}</time>' in page
    listed = client.get("/documents/", headers={"Accept-Language": accept_language}).content.decode()
    assert f">{day}</time>" in listed


def test_no_accept_language_header_fails_a_request(client, alice, alice_api):
    """Whatever language the browser names, every page and endpoint answers, and the next request on the same
    thread is back in UTC."""
    client.force_login(alice)
    for header in ["no", "no-NO,no;q=0.9", "NO;q=0.5", "i-klingon", "x-y-z", "*", "en-" + "A" * 8]:
        assert client.get("/documents/", headers={"Accept-Language": header}).status_code == 200, header
        assert alice_api.get("/api/documents/", headers={"Accept-Language": header}).status_code == 200, header


def test_the_locale_cache_keeps_only_what_it_reads_of_a_header():
    """The locales are cached by header, and a header can be as long as the server lets it be: two that differ
    only past what is read share one entry, so a client sending ever new long headers fills the cache with short
    keys only."""
    locales.locale_for.cache_clear()
    for tail in ("a", "b"):
        locales.deactivate(locales.activate("de-DE," + "x" * 10_000 + tail))
    assert locales.locale_for.cache_info().currsize == 1
    assert locales.locale_for("de-DE," + "x" * 10_000) == Locale.parse("en_DE")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_browser_tells_kite_its_zone(browser, live_server, alice, noted):
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="ja-JP")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Username").fill(alice.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/documents/$"))
        page.goto(live_server.url + f"/documents/{noted.pk}/")
        expect(page.locator(".note time")).to_have_text("Dec 3, 2026, 0:21 JST")
    finally:
        context.close()
