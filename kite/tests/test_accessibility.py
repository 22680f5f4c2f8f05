"""axe-core (WCAG 2.1 A and AA) over every page state, at desktop and phone width, in light and dark mode.

axe-core is Deque's accessibility engine; the axe-playwright-python wheel carries its published build, which this
test injects into each page itself. Any violation on Kite's own pages fails the test, naming the page, the
rule and the elements.
"""

from __future__ import annotations

from importlib import resources

import pytest
from playwright.sync_api import expect

from conftest import upload_document
from devtools.testing.samples import make_pdf
from kite.tests.conftest import Filed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
SCHEMES = ["light", "dark"]


def violations(page) -> list[str]:
    """What axe finds on the page as it is now, one line per rule with the elements it names."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Run through the browser's debugging protocol, which Kite's Content-Security-Policy does not govern.
        page.evaluate(AXE + "\n;undefined")
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`)",
        TAGS,
    )
    return found


def audit(page, states: dict[str, str]) -> list[str]:
    """Every state at every width and colour scheme; a list of "where: what" for each violation."""
    found = []
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        for width, viewport in WIDTHS.items():
            page.set_viewport_size(viewport)
            for name, path in states.items():
                page.goto(page.base_url + path)
                page.wait_for_load_state("load")
                found += [f"{name} ({width}, {scheme}): {line}" for line in violations(page)]
    return found


def test_axe_finds_nothing_on_the_pages_anyone_can_see(page):
    states = {
        "landing": "/",
        "sign-up": "/accounts/signup/",
        "log-in": "/accounts/login/",
        "password reset": "/accounts/password_reset/",
        "password reset sent": "/accounts/password_reset/done/",
    }
    assert audit(page, states) == []


def test_axe_finds_nothing_on_the_not_found_page(browser, live_server):
    """In a page of its own: the `page` fixture counts the 404 itself as a console error."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.base_url = live_server.url
        assert audit(page, {"not found": "/no-such-page/"}) == []
    finally:
        context.close()


def test_axe_finds_nothing_on_a_filed_persons_pages(page, alice, alice_api, filed: Filed, log_in):
    """The pages of someone with filed documents of each kind (PDF with preview, Word without, text)."""
    invoice, tenancy, lisbon = (filed.documents[name] for name in ("invoice.pdf", "tenancy.docx", "lisbon.txt"))
    topic = filed.topics["Invoices"]
    log_in(alice)
    states = {
        "documents": "/documents/",
        "documents as cards": "/documents/?view=cards",
        "search with results": "/documents/?q=apartment",
        "search without results": "/documents/?q=nothing-matches-this",
        "one topic": f"/documents/?topic={topic.pk}",
        "upload": "/documents/upload/",
        "PDF document": f"/documents/{invoice.pk}/",
        "Word document": f"/documents/{tenancy.pk}/",
        "text document": f"/documents/{lisbon.pk}/",
        "delete document": f"/documents/{lisbon.pk}/delete/",
        "topics": "/topics/",
        "edit topic": f"/topics/{topic.pk}/",
        "delete topic": f"/topics/{topic.pk}/delete/",
        "settings": "/accounts/settings/",
        "password change": "/accounts/password_change/",
        "delete account": "/accounts/delete/",
        "activity": "/activity/",
    }
    assert audit(page, states) == []


def test_axe_finds_nothing_in_the_states_pages_pass_through(page, alice, alice_api, log_in, sample_files):
    """States a page reaches by acting on it: an upload's results, a failed document, a new token shown once,
    a form's errors."""
    log_in(alice)
    page.goto(page.base_url + "/documents/upload/")
    page.locator("input[type=file]").set_input_files([str(sample_files["lisbon.txt"])])
    expect(page.get_by_text("1 of 1 uploaded")).to_be_visible()
    page.emulate_media(color_scheme="dark")
    found = [f"upload results (dark): {line}" for line in violations(page)]
    page.emulate_media(color_scheme="light")
    found += [f"upload results (light): {line}" for line in violations(page)]

    broken = upload_document(alice_api, make_pdf("x")[:40], filename="broken.pdf", content_type="application/pdf")
    page.goto(page.base_url + "/accounts/settings/")
    page.get_by_label("Token name").fill("backup script")
    page.get_by_role("button", name="Create token").click()
    found += [f"new token: {line}" for line in violations(page)]
    page.goto(page.base_url + "/topics/")
    page.get_by_role("button", name="Create topic").click()
    found += [f"topic form errors: {line}" for line in violations(page)]
    found += audit(page, {"failed document": f"/documents/{broken['id']}/"})
    assert found == []


def test_the_audit_names_what_it_finds(page):
    """The harness itself: a page with an unlabelled field and low-contrast text yields those two rules."""
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><h1>t</h1>'
        '<input type="text"><p style="color:#bbb;background:#fff">faint</p></main></body></html>'
    )
    rules = {line.split(":")[0] for line in violations(page)}
    assert {"label", "color-contrast"} <= rules


def test_axe_finds_nothing_on_the_trash_and_notes(page, alice, alice_api, log_in):
    """LIFE-01, LIFE-02, LIFE-03: the trash, its confirmations, a document with notes, and the list with rows
    ticked for the action bar."""
    from documents.models import Note

    kept = upload_document(alice_api, b"A letter about the garden.\n" * 4, filename="garden.txt")
    Note.objects.create(document_id=kept["id"], text="Paid on 3 May.\nKeep until 2031.")
    gone = upload_document(alice_api, b"An old receipt.\n" * 4, filename="receipt.txt")
    assert alice_api.delete(f"/api/documents/{gone['id']}/").status_code == 204
    log_in(alice)
    states = {
        "trash": "/documents/trash/",
        "delete forever": f"/documents/trash/empty/?ids={gone['id']}",
        "empty trash": "/documents/trash/empty/",
        "document with notes": f"/documents/{kept['id']}/",
    }
    found = audit(page, states)
    page.goto(page.base_url + "/documents/")
    page.get_by_label("Select all on this page").check()
    found += [f"list with rows ticked: {line}" for line in violations(page)]
    assert alice_api.post("/api/trash/empty/", {}, format="json").status_code == 204
    found += audit(page, {"empty trash page": "/documents/trash/"})
    assert found == []
