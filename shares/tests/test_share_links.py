"""LIFE-04: share links through the API, the public pages a link opens, their throttling and their end."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.contrib.auth.hashers import check_password, identify_hasher
from django.test import Client
from django.utils import timezone

from conftest import upload_document
from shares.models import ShareLink

SHARED_BYTES = b"the shared file's own bytes " * 8


@pytest.fixture
def document(alice_api, unique_bytes):
    """alice's stored document, with its bytes in storage."""
    return upload_document(alice_api, SHARED_BYTES + unique_bytes(40), filename="Harbour report.txt")


def make_link(client, document_id, **body):
    answer = client.post(f"/api/documents/{document_id}/shares/", body, format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def path_of(url: str) -> str:
    return urlparse(url).path


def activity_actions(client) -> list[str]:
    return [event["action"] for event in client.get("/api/activity/").json()["results"]]


def test_create_list_and_revoke_through_the_api(alice_api, document):
    """LIFE-04: POST makes a link with an absolute url (shown once); the list never shows a url; DELETE ends it."""
    body = make_link(alice_api, document["id"], expires_in_days=3)
    assert set(body) >= {"id", "url", "expires_at", "has_password", "opens"}
    assert body["url"].startswith("http://testserver/s/") and body["has_password"] is False and body["opens"] == 0
    expires = ShareLink.objects.get(pk=body["id"]).expires_at
    assert timedelta(days=3) - timedelta(minutes=1) < expires - timezone.now() <= timedelta(days=3)
    default = make_link(alice_api, document["id"], password="s3cret")
    assert default["has_password"] is True
    assert ShareLink.objects.get(pk=default["id"]).expires_at - timezone.now() > timedelta(days=6, hours=23)

    listed = alice_api.get(f"/api/documents/{document['id']}/shares/")
    assert listed.status_code == 200
    assert [link["id"] for link in listed.json()] == [default["id"], body["id"]]
    assert all(link["url"] is None for link in listed.json())
    assert body["url"].rsplit("/", 2)[-2] not in listed.content.decode()

    assert Client().get(path_of(body["url"])).status_code == 200
    assert alice_api.delete(f"/api/shares/{body['id']}/").status_code == 204
    assert Client().get(path_of(body["url"])).status_code == 404
    assert alice_api.delete(f"/api/shares/{body['id']}/").status_code == 404  # already revoked
    assert [link["id"] for link in alice_api.get(f"/api/documents/{document['id']}/shares/").json()] == [default["id"]]
    actions = activity_actions(alice_api)
    assert actions[:3] == ["share_revoked", "share_created", "share_created"]


def test_the_token_is_stored_only_as_a_hash(alice_api, document):
    """LIFE-04: the raw token appears in no column of the link's row."""
    body = make_link(alice_api, document["id"], password="s3cret")
    token = body["url"].rstrip("/").rsplit("/", 1)[-1]
    link = ShareLink.objects.get(pk=body["id"])
    stored = [str(getattr(link, field.attname)) for field in ShareLink._meta.concrete_fields]
    assert all(token not in value for value in stored)
    assert len(link.token_hash) == 64 and link.token_hash != token
    assert "s3cret" not in link.password and identify_hasher(link.password) and check_password("s3cret", link.password)


@pytest.mark.parametrize(
    "body",
    [
        {"expires_in_days": 0},
        {"expires_in_days": 366},
        {"expires_in_days": "7"},
        {"expires_in_days": True},
        {"expires_in_days": 1.5},
        {"password": 42},
        {"password": "x" * 129},
    ],
)
def test_bad_input_is_400_and_makes_nothing(alice_api, document, body):
    """SEC-06, LIFE-04: expiry outside 1–365 days, or of the wrong type, is refused and no link is made."""
    answer = alice_api.post(f"/api/documents/{document['id']}/shares/", body, format="json")
    assert answer.status_code == 400 and set(answer.json()["errors"]) == set(body)
    assert not ShareLink.objects.exists()


def test_another_persons_document_and_links_answer_404(alice_api, bob_api, document):
    """SEC-04, LIFE-04: bob cannot list, make or revoke alice's links; her link still opens afterwards."""
    link = make_link(alice_api, document["id"])
    assert bob_api.get(f"/api/documents/{document['id']}/shares/").status_code == 404
    assert bob_api.post(f"/api/documents/{document['id']}/shares/", {}, format="json").status_code == 404
    assert bob_api.delete(f"/api/shares/{link['id']}/").status_code == 404
    assert ShareLink.objects.count() == 1 and Client().get(path_of(link["url"])).status_code == 200
    assert "share_created" not in activity_actions(bob_api)


def test_only_a_stored_document_not_in_the_trash_is_shared(alice_api, document, unique_bytes):
    """LIFE-04, LIFE-01: an upload never finished cannot be shared (409); a trashed document's links answer 404
    while it is there and it cannot be shared, and they open again once it is restored."""
    unfinished = upload_document(alice_api, unique_bytes(100), confirm=False)
    answer = alice_api.post(f"/api/documents/{unfinished['id']}/shares/", {}, format="json")
    assert answer.status_code == 409 and not ShareLink.objects.exists()

    link = make_link(alice_api, document["id"])
    assert alice_api.delete(f"/api/documents/{document['id']}/").status_code == 204  # to the trash
    assert Client().get(path_of(link["url"])).status_code == 404
    assert Client().get(path_of(link["url"]) + "download/").status_code == 404
    assert alice_api.post(f"/api/documents/{document['id']}/shares/", {}, format="json").status_code == 404
    assert alice_api.get(f"/api/documents/{document['id']}/shares/").status_code == 404
    restored = alice_api.post("/api/trash/restore/", {"ids": [document["id"]]}, format="json")
    assert restored.status_code == 200
    assert Client().get(path_of(link["url"])).status_code == 200


def test_the_public_page_shows_the_title_and_downloads_the_file(alice, alice_api, document):
    """LIFE-04: without any session the page shows only the title and a download button; the download is a short
    presigned attachment of the file and counts an open, which alice's activity shows."""
    link = make_link(alice_api, document["id"])
    client = Client()
    page = client.get(path_of(link["url"]))
    html = page.content.decode()
    assert page.status_code == 200 and "Harbour report" in html
    assert "alice" not in html and "Log out" not in html and "quota" not in html.lower()
    assert page["Referrer-Policy"] == "no-referrer" and "noindex" in page["X-Robots-Tag"]
    assert "no-store" in page["Cache-Control"]
    assert "sessionid" not in page.cookies

    download = client.get(path_of(link["url"]) + "download/")
    assert download.status_code == 302 and download["Referrer-Policy"] == "no-referrer"
    query = parse_qs(urlparse(download["Location"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert "attachment" in query["response-content-disposition"][0]
    assert "Harbour%20report.txt" in query["response-content-disposition"][0]
    fetched = requests.get(download["Location"], timeout=10)
    assert fetched.status_code == 200 and fetched.content.startswith(SHARED_BYTES)

    stored = ShareLink.objects.get(pk=link["id"])
    assert stored.opens == 1 and stored.last_opened_at is not None
    assert alice_api.get(f"/api/documents/{document['id']}/shares/").json()[0]["opens"] == 1
    opened = alice_api.get("/api/activity/").json()["results"][0]
    assert opened["action"] == "share_opened" and opened["document"]["id"] == document["id"]


def test_a_password_is_asked_before_the_download(alice_api, document):
    """LIFE-04: a link with a password shows a form first; a wrong password is refused, the right one is
    remembered for that link, and only then does the download answer. No CSRF token is needed: browsers post
    the form with Origin: null under its no-referrer policy."""
    link = make_link(alice_api, document["id"], password="open sesame")
    url = path_of(link["url"])
    client = Client()
    page = client.get(url)
    assert page.status_code == 200 and b'type="password"' in page.content and b"download/" not in page.content
    assert client.get(url + "download/")["Location"] == url  # back to the form, nothing counted
    client = Client(enforce_csrf_checks=True, HTTP_ORIGIN="null")
    wrong = client.post(url, {"password": "close sesame"})
    assert wrong.status_code == 200 and b"not the password" in wrong.content and b"download/" not in wrong.content
    right = client.post(url, {"password": "open sesame"})
    assert right.status_code == 302 and right["Location"] == url
    assert client.get(url).content.count(b"download/") == 1
    assert client.get(url + "download/")["Location"].startswith("http")
    assert ShareLink.objects.get(pk=link["id"]).opens == 1
    # The remembered password is this link's alone.
    other = make_link(alice_api, document["id"], password="open sesame")
    assert b'type="password"' in client.get(path_of(other["url"])).content


def test_unknown_expired_revoked_and_deleted_all_answer_the_same_404(alice_api, document, unique_bytes):
    """LIFE-04: every link that does not open (unknown, malformed, expired, revoked, its document deleted for good
    or in the trash) answers the same 404, body for body, page and download alike."""
    expired = make_link(alice_api, document["id"])
    ShareLink.objects.filter(pk=expired["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked = make_link(alice_api, document["id"])
    alice_api.delete(f"/api/shares/{revoked['id']}/")
    other = upload_document(alice_api, unique_bytes(80))
    deleted = make_link(alice_api, other["id"])
    assert alice_api.delete(f"/api/documents/{other['id']}/").status_code == 204
    assert alice_api.post("/api/trash/empty/", {"ids": [other["id"]]}, format="json").status_code == 204
    trashed = upload_document(alice_api, unique_bytes(90))
    in_trash = make_link(alice_api, trashed["id"])
    assert alice_api.delete(f"/api/documents/{trashed['id']}/").status_code == 204
    unknown = "/s/" + "A" * 43 + "/"
    answers = []
    links = [expired, revoked, deleted, in_trash]
    for url in [unknown, "/s/x/", *(path_of(link["url"]) for link in links)]:
        for suffix in ["", "download/"]:
            answer = Client().get(url + suffix)
            assert answer.status_code == 404, url + suffix
            assert answer["Referrer-Policy"] == "no-referrer"
            answers.append(answer.content)
    assert len(set(answers)) == 1
    assert not ShareLink.objects.filter(pk=deleted["id"]).exists()  # the document took its links along


def test_deleting_the_document_stops_its_link(alice_api, document):
    """LIFE-04, LIFE-01: deleting a document (to the trash) stops its links at once; purging it deletes them."""
    link = make_link(alice_api, document["id"])
    assert Client().get(path_of(link["url"])).status_code == 200
    assert alice_api.delete(f"/api/documents/{document['id']}/").status_code == 204
    assert Client().get(path_of(link["url"])).status_code == 404
    assert alice_api.post("/api/trash/empty/", {}, format="json").status_code == 204
    assert not ShareLink.objects.exists()
    assert Client().get(path_of(link["url"])).status_code == 404


def test_requests_are_throttled_per_address(alice_api, document, settings):
    """LIFE-04: one address gets 429 past KITE_SHARE_REQUESTS_PER_ADDRESS, for known and unknown tokens alike;
    another address still gets through."""
    settings.KITE_SHARE_REQUESTS_PER_ADDRESS = 3
    link = make_link(alice_api, document["id"])
    client = Client(REMOTE_ADDR="203.0.113.9")
    assert [client.get(url).status_code for url in ["/s/nothing/", path_of(link["url"]), "/s/nothing/"]] == [
        404,
        200,
        404,
    ]
    assert client.get(path_of(link["url"])).status_code == 429
    assert client.get("/s/nothing/").status_code == 429
    assert Client(REMOTE_ADDR="203.0.113.10").get(path_of(link["url"])).status_code == 200


def test_requests_are_throttled_per_link(alice_api, document, settings):
    """LIFE-04: one link answers 429 past KITE_SHARE_REQUESTS_PER_LINK, whatever the address, and counts no open."""
    settings.KITE_SHARE_REQUESTS_PER_LINK = 2
    link = make_link(alice_api, document["id"])
    url = path_of(link["url"])
    assert Client(REMOTE_ADDR="198.51.100.1").get(url).status_code == 200
    assert Client(REMOTE_ADDR="198.51.100.2").get(url + "download/").status_code == 302
    assert Client(REMOTE_ADDR="198.51.100.3").get(url + "download/").status_code == 429
    assert ShareLink.objects.get(pk=link["id"]).opens == 1
    other = make_link(alice_api, document["id"])
    assert Client(REMOTE_ADDR="198.51.100.3").get(path_of(other["url"])).status_code == 200


def test_wrong_passwords_are_throttled(alice_api, document, settings):
    """LIFE-04: past KITE_SHARE_PASSWORD_FAILURES wrong passwords a link answers 429 to every try, the right
    password too, from any address."""
    settings.KITE_SHARE_PASSWORD_FAILURES = 2
    link = make_link(alice_api, document["id"], password="open sesame")
    url = path_of(link["url"])
    for n in range(2):
        assert b"not the password" in Client(REMOTE_ADDR=f"192.0.2.{n}").post(url, {"password": "guess"}).content
    assert Client(REMOTE_ADDR="192.0.2.9").post(url, {"password": "open sesame"}).status_code == 429


def test_the_scheduler_deletes_links_a_month_after_they_ended(alice_api, document):
    """LIFE-04: an expired or revoked link can never open again; a month later its row goes too, with the
    scheduler's other jobs. Links still open, or ended lately, stay."""
    from documents.management.commands.run_periodic import all_jobs
    from shares.services import ENDED_KEPT_DAYS

    ids = [make_link(alice_api, document["id"])["id"] for _ in range(4)]
    long_ago = timezone.now() - timedelta(days=ENDED_KEPT_DAYS + 1)
    ShareLink.objects.filter(pk=ids[0]).update(expires_at=long_ago)
    ShareLink.objects.filter(pk=ids[1]).update(revoked_at=long_ago)
    ShareLink.objects.filter(pk=ids[2]).update(expires_at=timezone.now() - timedelta(days=1))
    (prune,) = [job for name, _, job in all_jobs() if "share links" in name]
    assert prune() == 2
    assert {str(pk) for pk in ShareLink.objects.values_list("pk", flat=True)} == {ids[2], ids[3]}
