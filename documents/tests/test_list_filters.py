"""UI-01: the list page and the API filter with one selector and the same parameter names."""

import pytest

from documents.tests.factories import DocumentFactory
from topics.tests.factories import TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(alice):
    return [
        DocumentFactory(owner=alice, title="apple notes", text="crumble recipe".ljust(30, ".")),
        DocumentFactory(owner=alice, title="banana notes", text="smoothie recipe", state="failed"),
        DocumentFactory(owner=alice, title="cherry notes", text="jam".ljust(20, ".")),
    ]


def page_titles(client, **params) -> list[str]:
    answer = client.get("/documents/", params)
    assert answer.status_code == 200
    return [document.title for document, _ in answer.context["rows"]]


def api_titles(client, **params) -> list[str]:
    answer = client.get("/api/documents/", params)
    assert answer.status_code == 200, answer.content
    return [document["title"] for document in answer.json()["results"]]


def test_page_and_api_take_the_same_parameters(client, alice, alice_api, three):
    """UI-01: `q`, `state` and `ordering` mean the same on the page and in the API."""
    client.force_login(alice)
    for params, expected in [
        ({"ordering": "title"}, ["apple notes", "banana notes", "cherry notes"]),
        ({"ordering": "-size_bytes"}, ["apple notes", "cherry notes", "banana notes"]),  # 30, 20, 15 bytes
        ({"state": "failed"}, ["banana notes"]),
        ({"q": "recipe", "ordering": "-title"}, ["banana notes", "apple notes"]),
    ]:
        assert page_titles(client, **params) == api_titles(alice_api, **params) == expected, params


def test_the_page_ignores_bad_values_the_api_refuses(client, alice, alice_api, three):
    """UI-01, SEC-06: a hand-edited address still shows the list; the API answers 400 naming the parameter."""
    client.force_login(alice)
    for name, value in [("ordering", "password"), ("state", "lost"), ("topic", "abc"), ("ordering", ""), ("state", "")]:
        assert sorted(page_titles(client, **{name: value})) == ["apple notes", "banana notes", "cherry notes"]
        answer = alice_api.get("/api/documents/", {name: value})
        assert answer.status_code == 400 and name in answer.content.decode(), (name, answer.content)
    # The valid ones still apply next to a bad one.
    assert page_titles(client, state="failed", ordering="nonsense") == ["banana notes"]


def test_live_states_come_as_the_pages_own_fragments(client, alice, three):
    """UI-01, DOC-06: the states a page polls carry the badge and topic chips rendered by the server."""
    client.force_login(alice)
    document = three[1]
    answer = client.get("/documents/states/", {"ids": str(document.pk)}).json()["documents"][0]
    assert answer["state"] == "failed" and answer["topic_ids"] == []
    assert 'class="badge state-failed"' in answer["state_html"] and ">Failed<" in answer["state_html"]
    assert "—" in answer["topics_html"]
    detailed = client.get("/documents/states/", {"ids": str(document.pk), "detailed": "1"}).json()["documents"][0]
    assert "badge large state-failed" in detailed["state_html"] and "No topics yet." in detailed["topics_html"]


def test_the_page_keeps_old_addresses_working(client, alice, bob, three):
    """UI-01: `sort=` (the page's old name for `ordering`) still sorts; a topic that is not the person's shows
    the whole list, as the topic menu then says, rather than an empty one."""
    client.force_login(alice)
    assert page_titles(client, sort="-title") == ["cherry notes", "banana notes", "apple notes"]
    others = TopicFactory(owner=bob, name="Bob's")
    assert len(page_titles(client, topic=str(others.pk))) == 3


@pytest.fixture
def filed(alice):
    from topics.models import DocumentTopic

    bills, trips = TopicFactory(owner=alice, name="Bills"), TopicFactory(owner=alice, name="Trips")
    documents = {
        name: DocumentFactory(owner=alice, title=name) for name in ("gas bill", "lisbon trip", "loose note", "mixed")
    }
    DocumentTopic.objects.create(document=documents["gas bill"], topic=bills, source="manual")
    DocumentTopic.objects.create(document=documents["lisbon trip"], topic=trips, source="builtin", confidence=0.95)
    DocumentTopic.objects.create(document=documents["mixed"], topic=bills, source="manual")
    DocumentTopic.objects.create(document=documents["mixed"], topic=trips, source="manual")
    # A suggestion is not filing: this note counts as filed under no topic.
    DocumentTopic.objects.create(document=documents["loose note"], topic=trips, source="suggested", confidence=0.4)
    return bills, trips


def test_several_topics_and_no_topic_filter_the_page_and_the_api_alike(client, alice, alice_api, filed):
    bills, trips = filed
    client.force_login(alice)
    for params, expected in [
        ({"topic": [bills.pk]}, ["gas bill", "mixed"]),
        ({"topic": [bills.pk, trips.pk]}, ["gas bill", "lisbon trip", "mixed"]),
        ({"topic": ["none"]}, ["loose note"]),
        ({"topic": [trips.pk, "none"]}, ["lisbon trip", "loose note", "mixed"]),
    ]:
        params = {**params, "ordering": "title"}
        assert page_titles(client, **params) == api_titles(alice_api, **params) == expected, params
    assert alice_api.get("/api/documents/", {"topic": ["nothing"]}).status_code == 400
    assert alice_api.get("/api/documents/", {"topic": [str(n) for n in range(1, 30)]}).status_code == 400


def test_headers_sort_and_pages_are_numbered_at_the_chosen_size(client, alice):
    for n in range(1, 61):
        DocumentFactory(owner=alice, title=f"report {n:02}", size_bytes=n)
    client.force_login(alice)
    page = client.get("/documents/", {"page_size": 50}).content.decode()
    assert page.count('name="ids"') == 50
    assert 'aria-label="Page 2"' in page and 'aria-current="page"' in page
    # The Title header sorts A–Z, then Z–A once it is the order; the current order is announced.
    assert 'href="?page_size=50&amp;ordering=title">Title' in page
    by_title = client.get("/documents/", {"ordering": "title"}).content.decode()
    assert 'aria-sort="ascending"><a class="sort" href="?ordering=-title">Title' in by_title
    assert client.get("/documents/", {"page_size": 7}).content.decode().count('name="ids"') == 25  # not a size offered


def test_the_search_box_explains_its_syntax(client, alice):
    client.force_login(alice)
    DocumentFactory(owner=alice)
    page = client.get("/documents/").content.decode()
    assert 'aria-describedby="search-help"' in page
    assert "<code>-word</code> leaves out" in page and "<code>a or b</code> finds either" in page


def test_the_list_shows_as_cards_with_the_same_rows_and_selection(client, alice):
    for n in range(3):
        DocumentFactory(owner=alice, title=f"letter {n}")
    client.force_login(alice)
    cards = client.get("/documents/", {"view": "cards", "ordering": "title"}).content.decode()
    assert cards.count('class="card-document"') == 3 and "<table" not in cards
    assert cards.count('name="ids"') == 3 and 'aria-current="true">Cards' in cards
    # The switch keeps the search and order, and the table is the default.
    assert 'href="?ordering=title">Table' in cards
    assert "<table" in client.get("/documents/").content.decode()


def test_more_topics_than_a_filter_takes_keeps_the_first_ones_and_says_so(client, alice, alice_api, filed):
    """The page filters by the first 20 topics ticked, with a message, rather than dropping the filter and listing
    (and letting "all matching" act on) every document; a topic given twice counts once, on the page and in the
    API."""
    bills, trips = filed
    extra = [TopicFactory(owner=alice, name=f"Extra {n}").pk for n in range(20)]
    client.force_login(alice)
    answer = client.get("/documents/", {"topic": [bills.pk, *extra], "ordering": "title"})
    assert [document.title for document, _ in answer.context["rows"]] == ["gas bill", "mixed"]
    assert "first 20 topics" in answer.content.decode()
    repeated = {"topic": [trips.pk] * 25, "ordering": "title"}
    assert page_titles(client, **repeated) == api_titles(alice_api, **repeated) == ["lisbon trip", "mixed"]
