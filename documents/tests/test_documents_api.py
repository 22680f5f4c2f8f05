from conftest import object_exists, upload_document
from documents.models import Document, StorageDeletion
from quotas.models import Quota


def test_list_shows_only_own_documents(alice_api, bob_api, unique_bytes):
    """SEC-04: the list holds the requesting user's documents only, paginated as docs/api.md says."""
    mine = upload_document(alice_api, unique_bytes(10), filename="mine.txt")
    upload_document(bob_api, unique_bytes(10), filename="bobs.txt")
    answer = alice_api.get("/api/documents/")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [d["id"] for d in body["results"]] == [mine["id"]]
    assert set(body["results"][0]) == {
        "id",
        "title",
        "filename",
        "content_type",
        "size_bytes",
        "sha256",
        "state",
        "error",
        "topics",
        "pages",
        "date",
        "text_source",
        "thumbnail",
        "created",
        "updated",
    }


def test_list_filters_and_orders(alice_api, unique_bytes):
    """docs/api.md: ?state=, ?ordering= and ?q= narrow and sort the list; bad values answer 400."""
    upload_document(alice_api, unique_bytes(30), filename="zebra report.txt")
    upload_document(alice_api, unique_bytes(10), filename="apple notes.txt", classify=False)
    titles = [d["title"] for d in alice_api.get("/api/documents/?ordering=title").json()["results"]]
    assert titles == ["apple notes", "zebra report"]
    sizes = [d["size_bytes"] for d in alice_api.get("/api/documents/?ordering=-size_bytes").json()["results"]]
    assert sizes == [30, 10]
    assert [d["title"] for d in alice_api.get("/api/documents/?state=skipped").json()["results"]] == ["apple notes"]
    assert [d["title"] for d in alice_api.get("/api/documents/?q=zebra").json()["results"]] == ["zebra report"]
    assert alice_api.get("/api/documents/?ordering=password").status_code == 400
    assert alice_api.get("/api/documents/?state=lost").status_code == 400
    assert alice_api.get("/api/documents/?page_size=1").json()["next"] is not None


def test_retrieve_and_rename(alice_api, bob_api, unique_bytes):
    """SEC-04: the owner reads and renames; another user gets 404 for every method."""
    document = upload_document(alice_api, unique_bytes(10))
    url = f"/api/documents/{document['id']}/"
    assert alice_api.get(url).json()["id"] == document["id"]
    assert alice_api.patch(url, {"title": "Renamed"}, format="json").json()["title"] == "Renamed"
    for method in ("get", "patch", "delete"):
        assert getattr(bob_api, method)(url).status_code == 404
    assert bob_api.get(url + "download/").status_code == 404
    assert alice_api.get(url).status_code == 200


def test_delete_releases_quota_and_emptying_the_trash_the_object(
    alice, alice_api, unique_bytes, django_capture_on_commit_callbacks
):
    """STORE-06, LIFE-01: delete releases exactly the document's size at once and keeps the object in the trash;
    deleting again answers 404 and releases nothing more; emptying the trash deletes the stored object."""
    keep = upload_document(alice_api, unique_bytes(400))
    gone = upload_document(alice_api, unique_bytes(1500))
    key = Document.objects.get(pk=gone["id"]).key
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_api.delete(f"/api/documents/{gone['id']}/").status_code == 204
    assert Quota.objects.get(user=alice).used_bytes == 400
    assert object_exists(key)
    assert alice_api.delete(f"/api/documents/{gone['id']}/").status_code == 404
    assert Quota.objects.get(user=alice).used_bytes == 400
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_api.post("/api/trash/empty/", {"ids": [gone["id"]]}, format="json").status_code == 204
    assert not object_exists(key)
    assert not StorageDeletion.objects.filter(StorageDeletion.due()).exists()
    assert Quota.objects.get(user=alice).used_bytes == 400
    assert alice_api.get(f"/api/documents/{keep['id']}/").status_code == 200


def test_download_redirects_to_a_short_presigned_attachment(alice_api, unique_bytes):
    """D-08: download answers 302 to a presigned GET with an attachment disposition."""
    import requests

    data = unique_bytes(64)
    document = upload_document(alice_api, data, filename="report ü.txt")
    answer = alice_api.get(f"/api/documents/{document['id']}/download/")
    assert answer.status_code == 302
    fetched = requests.get(answer["Location"], timeout=10)
    assert fetched.status_code == 200 and fetched.content == data
    assert fetched.headers["Content-Disposition"].startswith("attachment;")
    assert "X-Amz-Expires=300" in answer["Location"]


def test_settings_endpoint_is_gone(alice_api):
    """D-12: /api/settings/ answers 404 for every method."""
    for method in ("get", "post", "put", "patch", "delete"):
        assert getattr(alice_api, method)("/api/settings/").status_code == 404


def test_renaming_and_changing_topics_are_recorded_in_the_activity(alice, alice_api):
    """T-01: PATCH records in the person's activity a rename (with the old title) and a topic change (what was
    added and removed), and records nothing when nothing changed."""
    from activity.models import Event
    from documents.tests.factories import DocumentFactory
    from topics.tests.factories import TopicFactory

    document = DocumentFactory(owner=alice, title="Old name")
    bills, taxes = TopicFactory(owner=alice, name="Bills"), TopicFactory(owner=alice, name="Taxes")
    url = f"/api/documents/{document.pk}/"
    assert alice_api.patch(url, {"title": "New name", "topic_ids": [bills.pk]}, format="json").status_code == 200
    assert alice_api.patch(url, {"title": "New name", "topic_ids": [taxes.pk]}, format="json").status_code == 200
    changes = [Event.Action.RETITLED, Event.Action.TOPICS]
    events = list(Event.objects.filter(owner=alice, action__in=changes).order_by("id").values_list("action", "detail"))
    assert events == [
        ("retitled", "Was “Old name”"),
        ("topics", "Added Bills"),
        ("topics", "Added Taxes; removed Bills"),
    ]
