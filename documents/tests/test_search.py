"""Full-text search (`?q=` on the API and the list page): matching, syntax, ranking, snippets and their escaping."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from documents import search, services
from documents.models import Document
from documents.tests.factories import DocumentFactory

BASE_DIR = Path(__file__).resolve().parents[2]


def titles(client, q: str, **params) -> list[str]:
    answer = client.get("/api/documents/", {"q": q, **params})
    assert answer.status_code == 200, answer.content
    return [document["title"] for document in answer.json()["results"]]


def found(owner, q: str) -> list[Document]:
    return list(services.document_search(owner, q))


@pytest.fixture
def library(alice):
    DocumentFactory(
        owner=alice, title="Tax return 2023", text="Income and taxes for the year. Filed with the tax office."
    )
    DocumentFactory(
        owner=alice, title="Holiday", text="Photos from the beach, and the annual report of the harbour club."
    )
    DocumentFactory(owner=alice, title="Scan 0042", text="Receipt: two coffees.", filename="kaffee-quittung.pdf")
    DocumentFactory(
        owner=alice, title="Draft letter", text="An annual report, first draft, written for the harbour master."
    )
    DocumentFactory(owner=alice, title="Müller GmbH", text="Rechnung für Herrn MÜLLER über Straßenarbeiten.")


def test_finds_words_in_title_filename_and_text(alice_api, library):
    """docs/api.md `?q=`: a word is found in the title, the filename or the extracted text."""
    assert titles(alice_api, "holiday") == ["Holiday"]
    assert titles(alice_api, "quittung") == ["Scan 0042"]
    assert titles(alice_api, "kaffee-quittung.pdf") == ["Scan 0042"]
    assert titles(alice_api, "coffees") == ["Scan 0042"]
    assert titles(alice_api, "nothing-like-this") == []


def test_every_word_must_match_and_words_match_as_prefixes(alice_api, library):
    """UI-01: all words must match (AND); a word also finds longer words starting with it; case does not matter."""
    assert titles(alice_api, "TAX") == ["Tax return 2023"]
    assert titles(alice_api, "tax 2023 income") == ["Tax return 2023"]
    assert titles(alice_api, "tax 2024") == []
    assert set(titles(alice_api, "harb")) == {"Holiday", "Draft letter"}
    assert titles(alice_api, "müller straßen") == ["Müller GmbH"]


def test_phrases_exclusions_and_or(alice_api, library):
    """UI-01: "quoted phrases" match words in order, -word excludes, `or` accepts either."""
    assert set(titles(alice_api, '"annual report"')) == {"Holiday", "Draft letter"}
    assert titles(alice_api, '"report annual"') == []
    assert titles(alice_api, "annual -draft") == ["Holiday"]
    assert titles(alice_api, 'harbour -"first draft"') == ["Holiday"]
    assert set(titles(alice_api, "coffees or müller")) == {"Scan 0042", "Müller GmbH"}


@pytest.fixture
def forms(alice):
    DocumentFactory(owner=alice, title="Lamp", text="Receipt for the desk lamp.")
    DocumentFactory(owner=alice, title="Shop", text="Three receipts from the corner shop.")
    DocumentFactory(owner=alice, title="Companies", text="Letters from companies about their invoices.")
    DocumentFactory(owner=alice, title="Résumé 2024", text="My curriculum vitae, updated.")
    DocumentFactory(owner=alice, title="Breakfast", text="Coffee at the cafe near the insurance office.")


def test_words_find_their_singular_and_plural_forms(alice_api, alice, forms):
    """UI-01: a word finds its other forms: "receipts" finds "receipt" and the other way round."""
    assert set(titles(alice_api, "receipts")) == {"Lamp", "Shop"}
    assert set(titles(alice_api, "receipt")) == {"Lamp", "Shop"}
    assert titles(alice_api, "invoice") == ["Companies"]
    assert titles(alice_api, "company") == ["Companies"]
    assert titles(alice_api, "letter invoices") == ["Companies"]
    assert titles(alice_api, "receipts -lamp") == ["Shop"]


def test_accents_do_not_matter(alice_api, alice, forms):
    """UI-01: "resume" finds "Résumé" and "Café" finds "cafe"; the snippet marks the word as it is written."""
    assert titles(alice_api, "resume") == ["Résumé 2024"]
    assert titles(alice_api, "RÉSUMÉ") == ["Résumé 2024"]
    assert titles(alice_api, "Café") == ["Breakfast"]
    assert titles(alice_api, '"coffee at the café"') == ["Breakfast"]
    DocumentFactory(owner=alice, title="Menu", text="Le menu du Café de Flore.")
    result = alice_api.get("/api/documents/", {"q": "cafe flore"}).json()["results"]
    assert [r["title"] for r in result] == ["Menu"]
    assert "<mark>Café</mark>" in result[0]["snippet"] and "<mark>Flore</mark>" in result[0]["snippet"]


def test_snippets_mark_the_forms_that_matched(alice, forms):
    """UI-01: searching "receipts", a text that says "Receipt" has that word marked."""
    (lamp,) = (document for document in found(alice, "receipts") if document.title == "Lamp")
    assert "<mark>Receipt</mark>" in lamp.search_snippet
    (companies,) = found(alice, "company invoice")
    assert "<mark>companies</mark>" in companies.search_snippet and "<mark>invoices</mark>" in companies.search_snippet


def test_prefixes_phrases_and_or_still_work_with_word_forms(alice_api, alice, forms):
    """UI-01: the start of a word still finds it, a phrase still wants its words in order, `or` either one."""
    assert titles(alice_api, "insur") == ["Breakfast"]
    assert set(titles(alice_api, "rece")) == {"Lamp", "Shop"}
    assert titles(alice_api, "curric") == ["Résumé 2024"]
    assert titles(alice_api, '"three receipt"') == ["Shop"]
    assert titles(alice_api, '"receipts three"') == []
    assert set(titles(alice_api, "resumes or cafes")) == {"Résumé 2024", "Breakfast"}


def test_a_query_of_stop_words_finds_nothing_and_fails_nothing(client, alice_api, alice, forms):
    """UI-01: words too common to be indexed ("the", "and") alone find nothing, with a 200; beside other words
    they are ignored."""
    for q in ("the", "the and", '"the"', "-the", "the or of", "-the -and"):
        answer = alice_api.get("/api/documents/", {"q": q})
        assert answer.status_code == 200, (q, answer.content)
    assert titles(alice_api, "the") == []
    assert titles(alice_api, "the lamp") == ["Lamp"]
    assert titles(alice_api, "the or lamp") == ["Lamp"]
    client.force_login(alice)
    page = client.get("/documents/", {"q": "the"})
    assert page.status_code == 200 and "Lamp" not in page.content.decode()
    assert "Lamp" in client.get("/documents/", {"q": "the lamps"}).content.decode()


def test_word_forms_never_reach_another_persons_documents(alice_api, alice, bob, forms):
    """SEC-04: the forms of a word are matched within their owner's words only."""
    DocumentFactory(owner=bob, title="Bob's receipts", text="receipt résumé cafe companies")
    for q in ("receipts", "receipt", "resume", "café", "company", "bob"):
        assert "Bob's receipts" not in titles(alice_api, q), q
    assert [d.title for d in found(bob, "receipts resume")] == ["Bob's receipts"]


def test_search_columns_keep_their_storage_and_have_no_word_statistics(db):
    """Migration 0015 added both vectors anew: the rank vector still lives in the row, and the matching vector
    still has no planner statistics (0014), so every search keeps going through the owner-keyed index."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attstattarget, attstorage FROM pg_attribute"
            " WHERE attrelid = 'documents_document'::regclass AND attname IN ('search_vector', 'rank_vector')"
        )
        columns = {name: (target, storage) for name, target, storage in cursor.fetchall()}
        assert columns["search_vector"][0] == 0
        assert columns["rank_vector"][1] == "m"
        cursor.execute("SELECT to_tsvector('kite_search', 'Résumés')::text")
        assert cursor.fetchone()[0] == "'resum':1"


def test_hyphenated_and_dotted_words(alice):
    """UI-01: words PostgreSQL reads as several (e-mail, dates, addresses) match as typed, and as their parts."""
    DocumentFactory(owner=alice, title="Mail", text="Send the e-mail to info@example.com before 2024-03-01.")
    DocumentFactory(owner=alice, title="Other", text="mail e info 2024")
    for q in ("e-mail", "info@example.com", "2024-03", '"the e-mail"'):
        assert [d.title for d in found(alice, q)] == ["Mail"], q
    assert {d.title for d in found(alice, "mail")} == {"Mail", "Other"}


def test_title_matches_rank_above_text_matches(alice):
    """UI-01: results come best first, a match in the title above one in the text."""
    DocumentFactory(owner=alice, title="Notes", text="the insurance policy renewal")
    DocumentFactory(owner=alice, title="Insurance policy", text="renewal letter")
    results = found(alice, "insurance")
    assert [d.title for d in results] == ["Insurance policy", "Notes"]
    assert results[0].search_rank > results[1].search_rank > 0


def test_api_orders_by_relevance_unless_asked_otherwise(alice_api, alice):
    """docs/api.md: with `q` and no `ordering`, best match first; an explicit `ordering` still applies."""
    DocumentFactory(owner=alice, title="b notes", text="about insurance")
    DocumentFactory(owner=alice, title="a insurance", text="renewal")
    assert titles(alice_api, "insurance") == ["a insurance", "b notes"]
    assert titles(alice_api, "insurance", ordering="-title") == ["b notes", "a insurance"]
    assert alice_api.get("/api/documents/", {"q": "insurance", "ordering": "rank"}).status_code == 400


def test_results_carry_a_highlighted_snippet_and_lists_never_carry_text(alice_api, library):
    """docs/api.md: search results add a short `snippet` with the matches in <mark>; no list carries the text."""
    result = alice_api.get("/api/documents/", {"q": "tax"}).json()["results"][0]
    assert "<mark>taxes</mark>" in result["snippet"] and "<mark>tax</mark> office" in result["snippet"]
    assert "text" not in result and "search_vector" not in result
    plain = alice_api.get("/api/documents/").json()["results"][0]
    assert "snippet" not in plain and "text" not in plain
    assert set(plain) == set(result) - {"snippet"}


def test_snippet_is_short_and_centred_on_the_match_in_a_long_text(alice):
    """UI-01: the snippet shows where a long text matches, not its opening, and stays short."""
    filler = "lorem ipsum dolor sit amet " * 4000
    DocumentFactory(owner=alice, title="Long", text=filler + "the zeppelin landed safely " + filler)
    (document,) = found(alice, "zeppelin")
    assert "<mark>zeppelin</mark>" in document.search_snippet
    assert len(document.search_snippet) <= search.SNIPPET_MAX_CHARS + 100


def test_a_snippet_is_centred_on_the_searched_word_not_on_a_word_search_ignores(alice):
    """UI-01: "the zeppelin" shows where "zeppelin" is, not the first "the" of the text."""
    filler = "lorem ipsum dolor sit amet " * 400
    DocumentFactory(owner=alice, title="Long", text="the start. " + filler + "a zeppelin landed safely " + filler)
    (document,) = found(alice, "the zeppelin")
    assert "<mark>zeppelin</mark>" in document.search_snippet


def test_a_snippet_is_centred_on_the_first_searched_word_the_text_can_have(alice):
    """UI-01: beside a longer word search ignores ("because") or another `or` branch, the snippet still shows the
    first wanted word; a ligature in the text ("ﬁle") is read as its letters, as search reads it."""
    filler = "lorem ipsum dolor sit amet " * 400
    DocumentFactory(owner=alice, title="Long", text="because of this. " + filler + "a zeppelin cat tax here " + filler)
    DocumentFactory(owner=alice, title="Ligature", text="intro " + filler + "the ﬁle cabinet " + filler)
    (document,) = found(alice, "tax because")
    assert "<mark>tax</mark>" in document.search_snippet
    (document,) = found(alice, "cat or encyclopedia")
    assert "<mark>cat</mark>" in document.search_snippet
    (document,) = found(alice, "cabinet")
    assert "<mark>cabinet</mark>" in document.search_snippet


def test_snippet_escapes_the_document_text(alice):
    """SEC-06: extracted text is untrusted; in the snippet only <mark> is markup and everything else is escaped."""
    hostile = (
        'Invoice <script>alert("x")</script> total < 5 & > 3 <img src=x onerror=alert(1)> '
        "<b onclick='steal()'>bold</b> \x02fake mark\x03 end"
    )
    DocumentFactory(owner=alice, title="Invoice", text=hostile)
    for q in ("invoice", "alert", "fake", "script", "img"):
        for document in found(alice, q):
            snippet = str(document.search_snippet)
            assert re.sub(r"</?mark>", "", snippet).count("<") == 0, snippet
            assert "&lt;" in snippet or q in ("invoice", "fake")
            assert snippet.count("<mark>") == snippet.count("</mark>")
    (document,) = found(alice, "fake")
    assert "<mark>fake</mark>" in document.search_snippet  # marked because it matched, not because of \x02


def test_render_snippet_allows_only_balanced_marks():
    """SEC-06: whatever the highlighter returns, the rendered snippet has escaped text and balanced <mark> tags."""
    start, stop = search.START, search.STOP
    raw = f"{stop}a <script>{start}b{start}c & d{stop}{stop} e{start}unclosed"
    assert search.render_snippet(raw) == "a &lt;script&gt;<mark>bc &amp; d</mark> e<mark>unclosed</mark>"
    assert search.render_snippet(None) == ""
    assert len(search.render_snippet("word " * 1000)) <= search.SNIPPET_MAX_CHARS + 1


def test_search_covers_only_the_requesting_users_documents(alice_api, alice, bob):
    """SEC-04: a search never returns, counts or hints at another user's documents."""
    DocumentFactory(owner=alice, title="Mine", text="zeppelin")
    DocumentFactory(owner=bob, title="Bobs", text="zeppelin")
    body = alice_api.get("/api/documents/", {"q": "zeppelin"}).json()
    assert body["count"] == 1 and [d["title"] for d in body["results"]] == ["Mine"]


def test_the_index_keeps_each_persons_words_apart(alice, bob):
    """SEC-04 in the index itself: every indexed word carries its owner's id, and so does every query, so a
    search reaches only its owner's words even with no owner filter at all; phrases still need word order."""
    mine = DocumentFactory(owner=alice, title="Harbour log", text="the annual report of the zeppelin club")
    DocumentFactory(owner=bob, title="Harbour notes", text="annual report zeppelin")
    vector = Document.objects.filter(pk=mine.pk).values_list("search_vector", flat=True).get()
    assert f"'{alice.pk}:zeppelin'" in vector and f"'{alice.pk}:annual':" in vector  # positions kept
    assert all(lexeme.startswith(f"'{alice.pk}:") for lexeme in vector.split())
    every_document = Document.objects.all()
    for owner in (alice, bob):
        for q in ("zeppelin", "harb", '"annual report"', "zeppelin -nothing"):
            condition = search.owner_match(owner.pk, search.parse(q))
            assert {d.owner_id for d in every_document.filter(condition)} == {owner.pk}, q
    assert not every_document.filter(search.owner_match(alice.pk, search.parse('"report annual"'))).exists()
    assert not every_document.filter(search.owner_match(alice.pk + bob.pk + 1, search.parse("zeppelin"))).exists()


def test_owner_prefixing_keeps_positions_and_odd_words(db):
    """Migration 0006's SQL functions: quotes and backslashes in words survive, positions are kept (phrases),
    words without positions stay, and every operator of a query keeps its place."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kite_owner_tsvector(7, %s::tsvector)::text, kite_owner_tsquery(7, %s::tsquery)::text",
            ["'a''b':1 'c\\\\d':2,3 'bare'", "'a''b' <-> 'c\\\\d' & !'x':* | 'y'"],
        )
        vector, query = cursor.fetchone()
    assert vector == "'7:a''b':1 '7:bare' '7:c\\\\d':2,3"  # a tsvector keeps its words sorted
    assert query == "'7:a''b' <-> '7:c\\\\d' & !'7:x':* | '7:y'"


def test_list_page_search_pages_and_counts_exactly(client, alice):
    """UI-01: the list page pages search results with their exact count; a page past the end shows the last."""
    for i in range(27):
        DocumentFactory(owner=alice, title=f"Zeppelin {i:02d}", text="flight log")
    client.force_login(alice)
    first = client.get("/documents/", {"q": "zeppelin"})
    assert first.context["page"].paginator.count == 27 and len(first.context["page"].object_list) == 25
    assert "27 documents found" in first.content.decode()
    for page in ("2", "99", str(2**63 - 1), "9" * 20):
        last = client.get("/documents/", {"q": "zeppelin", "page": page}).context["page"]
        assert last.number == 2 and len(last.object_list) == 2 and last.paginator.count == 27
    odd = client.get("/documents/", {"q": "zeppelin", "page": "x"}).context["page"]
    assert odd.number == 1 and odd.paginator.count == 27
    none = client.get("/documents/", {"q": "nothing-matches"}).context["page"]
    assert none.paginator.count == 0 and list(none.object_list) == []


@pytest.mark.parametrize(
    "q",
    ["***", '"', "'", "\\", "a:*", "!(x | y) & z", "--", "-", "or", "o'neil", '"unclosed phrase', "x" * 5000, "🙂"],
)
def test_odd_queries_answer_a_list(alice_api, alice, q):
    """SEC-06: any text in `q`, including query-language operators and quotes, answers 200 with a list."""
    DocumentFactory(owner=alice, title="O'Neil", text="a: b")
    answer = alice_api.get("/api/documents/", {"q": q})
    assert answer.status_code == 200
    assert isinstance(answer.json()["results"], list)


def test_filters_combine_with_search(alice_api, alice):
    """docs/api.md: `q` combines with `state` and the pagination stays exact."""
    DocumentFactory(owner=alice, title="Report one", text="zeppelin")
    DocumentFactory(owner=alice, title="Report two", text="zeppelin", state=Document.State.FAILED)
    assert titles(alice_api, "zeppelin", state="failed") == ["Report two"]
    body = alice_api.get("/api/documents/", {"q": "report", "page_size": 1}).json()
    assert body["count"] == 2 and body["next"] is not None and len(body["results"]) == 1


def test_search_pages_count_every_match(alice_api, alice):
    """docs/api.md pagination: search results page and count exactly, an empty search is an empty page, and a page
    past the end answers 404 as any list does."""
    for i in range(7):
        DocumentFactory(owner=alice, title=f"Report {i}", text="zeppelin")
    first = alice_api.get("/api/documents/", {"q": "zeppelin", "page_size": 3}).json()
    last = alice_api.get("/api/documents/", {"q": "zeppelin", "page_size": 3, "page": 3}).json()
    assert first["count"] == last["count"] == 7 and first["previous"] is None and last["next"] is None
    assert len(first["results"]) == 3 and len(last["results"]) == 1
    pages = [alice_api.get("/api/documents/", {"q": "report", "page_size": 3, "page": n}).json() for n in (1, 2, 3)]
    assert len({d["id"] for page in pages for d in page["results"]}) == 7
    assert alice_api.get("/api/documents/", {"q": "nothing"}).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    assert alice_api.get("/api/documents/", {"q": "zeppelin", "page_size": 3, "page": 4}).status_code == 404
    for huge in (922337203685477581, 2**63 - 1, 10**20):  # past any offset the database can take
        assert alice_api.get("/api/documents/", {"q": "zeppelin", "page_size": 10, "page": huge}).status_code == 404


def test_text_changes_are_searchable_at_once(alice):
    """DOC-01: the search vector is computed by the database, so a newly extracted text is found immediately."""
    document = DocumentFactory(owner=alice, title="Scan", text="")
    assert found(alice, "marmalade") == []
    document.text = "Orange marmalade, three jars"
    document.save(update_fields=["text", "updated"])
    assert [d.pk for d in found(alice, "marmalade")] == [document.pk]


def test_query_parser():
    """The query syntax: words, phrases, exclusions and `or` groups, bounded in size."""
    groups = search.parse('tax "annual report" -draft invoice or receipt')
    assert [[(t.text, t.phrase, t.negated) for t in g] for g in groups] == [
        [("tax", False, False)],
        [("annual report", True, False)],
        [("draft", False, True)],
        [("invoice", False, False), ("receipt", False, False)],
    ]
    assert search.tsquery_source(groups) == "('tax':*) & ('annual report') & (!'draft') & ('invoice':* | 'receipt':*)"
    assert search.tsquery_source(search.parse("o'neil \\x")) == "('o neil':*) & (' x':*)"
    assert search.parse("*** ! -") == ()
    assert len(search.parse(" ".join(f"w{i}" for i in range(100)))) == search.MAX_TERMS


def test_fallback_matching_is_case_insensitive_containment():
    """The SQLite fallback: every word contained case-insensitively; title matches rank first; exclusions work."""
    assert search.fallback_rank("Tax return", "", "", "TAX") == 1.0
    assert search.fallback_rank("", "", "Rechnung für MÜLLER", "müller") == 0.1
    assert search.fallback_rank("Tax", "", "income", "tax income") == 1.1
    assert search.fallback_rank("Tax", "", "income", "tax 2024") == 0.0
    assert search.fallback_rank("Tax", "", "first draft", "tax -draft") == 0.0
    assert search.fallback_rank("Report", "", "annual  report", '"annual report"') == 0.1
    assert search.fallback_rank("", "", "x", "-draft") > 0
    snippet = search.render_snippet(search.fallback_snippet("a <b> " * 50 + "the Zeppelin & co", "zeppelin"))
    assert snippet.startswith("…") and "<mark>Zeppelin</mark> &amp; co" in snippet and "<b>" not in snippet


def test_fallback_finds_plurals_and_ignores_accents():
    """The SQLite fallback: a word is looked for without its plural ending and without accents, on both sides,
    and the snippet marks the text as it is written."""
    assert search.fallback_rank("Receipt", "", "", "receipts") == 1.0
    assert search.fallback_rank("", "", "two receipts", "receipt") == 0.1
    assert search.fallback_rank("Companies", "", "", "company") == 1.0
    assert search.fallback_rank("Résumé", "", "", "resume") == 1.0
    assert search.fallback_rank("", "", "at the cafe", "CAFÉ") == 0.1
    assert search.fallback_rank("Receipt", "", "", "invoices") == 0.0
    assert search.fallback_rank("Receipt", "", "", "receipts -lamp") == 1.0
    assert search.fallback_rank("Receipt", "", "lamps", "receipts -lamp") == 0.0
    snippet = search.render_snippet(search.fallback_snippet("Mon Résumé & two receipts", "resume receipt"))
    assert snippet == "Mon <mark>Résumé</mark> &amp; two <mark>receipt</mark>s"


SQLITE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from accounts.tests.factories import UserFactory
    from documents.search import SearchPaginator
    from documents.services import document_search
    from documents.tests.factories import DocumentFactory

    owner = UserFactory(username="solo")
    for title, text in [("Tax return", "taxes <script>x</script> Müller"), ("Holiday", "annual report")]:
        DocumentFactory(owner=owner, title=title, filename="f.txt", size_bytes=1, text=text)
    from documents.models import Document
    from topics.models import DocumentTopic, Topic
    holiday = Document.objects.get(title="Holiday")
    holiday.notes_text = "Ask Zoë about the ferry"
    holiday.save()
    trips = Topic.objects.create(owner=owner, name="Trips abroad")
    DocumentTopic.objects.create(document=holiday, topic=trips, source="manual")
    sea = Topic.objects.create(owner=owner, name="Sea tales")
    DocumentTopic.objects.create(document=holiday, topic=sea, source="manual")
    guess = Topic.objects.create(owner=None, name="Pensions")
    DocumentTopic.objects.create(document=holiday, topic=guess, source="suggested")
    out = {}
    for q in sys.argv[1:]:
        out[q] = [[d.title, d.search_snippet] for d in document_search(owner, q)]
    page = SearchPaginator(document_search(owner, "a"), 1).page(2)
    out["paged"] = [page.paginator.count, [d.title for d in page]]
    print(json.dumps(out))
    """
)


def test_embedded_mode_migrates_and_searches_on_sqlite(tmp_path):
    """`make run` (SQLite): migrations apply and search falls back to escaped containment matching."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kite.settings",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kite.sqlite3'}",
        "KITE_VAR_DIR": str(tmp_path),
    }
    queries = ["müller", "tax -holiday", '"annual report"', "SCRIPT", "muller", '"annual reports"']
    queries += ["zoe ferries", "trips report", "abroad -ferry", "pensions", '"sea tales"', '"abroad sea"']
    run = subprocess.run(
        [sys.executable, "-c", SQLITE_SCRIPT, *queries],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout.strip().splitlines()[-1])
    assert results["müller"] == [["Tax return", "taxes &lt;script&gt;x&lt;/script&gt; <mark>Müller</mark>"]]
    assert [title for title, _ in results["tax -holiday"]] == ["Tax return"]
    assert results['"annual report"'] == [["Holiday", "<mark>annual report</mark>"]]
    escaped = "taxes &lt;<mark>script</mark>&gt;x&lt;/<mark>script</mark>&gt; Müller"
    assert results["SCRIPT"] == [["Tax return", escaped]]
    assert results["muller"] == results["müller"]
    assert results['"annual reports"'] == results['"annual report"']
    assert results["paged"] == [2, ["Tax return"]]  # both titles match; the newer comes first
    # Notes and the names of the topics a document is filed under are searched too; a suggestion is not filing.
    assert [title for title, _ in results["zoe ferries"]] == ["Holiday"]
    assert [title for title, _ in results["trips report"]] == ["Holiday"]
    assert results["abroad -ferry"] == [] and results["pensions"] == []
    # A phrase is looked for in one topic's name, as on PostgreSQL: not across the end of one and the next.
    assert [title for title, _ in results['"sea tales"']] == ["Holiday"]
    assert results['"abroad sea"'] == []
