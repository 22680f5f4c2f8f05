import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from activity.models import Event
from conftest import post_to_storage, request_upload, upload_document
from documents import services, storage
from documents.models import Document
from quotas.models import Quota


def is_confirm_statement(sql: str) -> bool:
    """Whether `sql` is the one statement of documents.confirming."""
    return sql.lstrip().startswith("WITH upload AS MATERIALIZED") and "FOR UPDATE" in sql and "INSERT INTO" in sql


def test_confirm_charges_the_exact_size_and_queues(alice, alice_api, unique_bytes):
    """D-05, STORE-03: confirm HEADs the object, charges its size once and moves to queued."""
    data = unique_bytes(12345)
    document = upload_document(alice_api, data)
    assert document["state"] == "queued"
    assert document["size_bytes"] == 12345
    assert Quota.objects.get(user=alice).used_bytes == 12345
    stored = Document.objects.get(pk=document["id"])
    assert stored.etag


def test_confirm_is_idempotent(alice, alice_api, unique_bytes):
    """D-06: a repeated confirm returns the same document and charges nothing more."""
    document = upload_document(alice_api, unique_bytes(777))
    again = alice_api.post(f"/api/documents/{document['id']}/confirm/")
    assert again.status_code == 200
    assert again.json()["id"] == document["id"]
    assert Quota.objects.get(user=alice).used_bytes == 777


def test_confirm_without_classification_is_skipped(alice_api, unique_bytes):
    """D-05, DOC-06: classify=false confirms straight to skipped."""
    document = upload_document(alice_api, unique_bytes(10), classify=False)
    assert document["state"] == "skipped"


def test_confirm_before_upload_gets_409_and_gives_the_reservation_back(alice, alice_api, unique_bytes):
    """D-05, SEC-06, UP-03: confirm with no stored object answers 409 upload_missing, charges nothing, and gives up
    the upload: its reservation is released at once rather than held until the purge."""
    answer = request_upload(alice_api, unique_bytes(50))
    document_id = answer.json()["document"]["id"]
    assert Quota.objects.get(user=alice).reserved_bytes == 50
    confirm = alice_api.post(f"/api/documents/{document_id}/confirm/")
    assert confirm.status_code == 409 and confirm.json()["code"] == "upload_missing"
    assert not Document.objects.filter(pk=document_id).exists()
    quota = Quota.objects.get(user=alice)
    assert (quota.used_bytes, quota.reserved_bytes) == (0, 0)


def test_confirm_of_another_users_document_gets_404(alice, alice_api, bob, bob_api, unique_bytes):
    """SEC-04, D-05: bob cannot confirm alice's upload, and learns nothing about it."""
    document_id = upload_document(alice_api, unique_bytes(50), confirm=False)["id"]
    confirm = bob_api.post(f"/api/documents/{document_id}/confirm/")
    assert confirm.status_code == 404
    assert confirm.json() == {"detail": "Not found.", "code": "not_found"}
    assert Document.objects.get(pk=document_id).state == "uploading"
    assert Quota.objects.get(user=bob).used_bytes == 0 and Quota.objects.get(user=alice).used_bytes == 0


@pytest.mark.parametrize("document_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_confirm_of_unknown_id_gets_404(alice_api, document_id):
    """SEC-06: an unknown or malformed id answers 404."""
    assert alice_api.post(f"/api/documents/{document_id}/confirm/").status_code == 404


def test_duplicate_of_own_document_gets_409_with_its_id(alice_api, bob_api, unique_bytes):
    """D-09b: the same bytes again answer 409 duplicate naming the existing document; bob's copy is his own."""
    data = unique_bytes(300)
    document = upload_document(alice_api, data)
    again = request_upload(alice_api, data)
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate" and again.json()["document_id"] == document["id"]
    assert request_upload(bob_api, data).status_code == 201


def test_confirm_answers_with_topics_chosen_during_the_upload(alice, alice_api, unique_bytes):
    """docs/api.md confirm: the answer is the whole document, including topics set by hand before the confirm."""
    from topics.tests.factories import TopicFactory

    topic = TopicFactory(owner=alice, name="Letters")
    data = unique_bytes(64)
    answer = request_upload(alice_api, data)
    document_id = answer.json()["document"]["id"]
    chosen = alice_api.patch(f"/api/documents/{document_id}/", {"topic_ids": [topic.pk]}, format="json")
    assert chosen.status_code == 200
    post_to_storage(answer.json()["upload"], data)
    confirmed = alice_api.post(f"/api/documents/{document_id}/confirm/").json()
    assert [(t["id"], t["source"]) for t in confirmed["topics"]] == [(topic.pk, "manual")]
    plain = upload_document(alice_api, unique_bytes(64))
    assert plain["topics"] == []


def test_confirm_is_the_token_and_one_statement(alice, alice_api, unique_bytes):
    """D-05, LIFE-06: on PostgreSQL a confirm costs the token, then one statement (documents.confirming) that
    locks the document, charges the quota, confirms the document and writes its line in the activity log; storage
    is asked before any row is locked."""
    alice_api.get("/api/quota/")  # the token's last use is recorded once a minute at most
    document = upload_document(alice_api, unique_bytes(99), confirm=False)
    with CaptureQueriesContext(connection) as queries:
        confirm = alice_api.post(f"/api/documents/{document['id']}/confirm/")
    assert confirm.status_code == 200 and confirm.json()["state"] == "queued"
    assert len(queries) == 2, [query["sql"] for query in queries]
    assert is_confirm_statement(queries[1]["sql"])


def confirm_counted(client, document_id) -> tuple:
    """The answer to a confirm and the SQL it sent."""
    with CaptureQueriesContext(connection) as queries:
        answer = client.post(f"/api/documents/{document_id}/confirm/")
    return answer, [query["sql"] for query in queries]


def upload_under_another_key(client, data: bytes, **extra) -> Document:
    """An upload whose row names a key of another scheme, its bytes stored there and under Kite's own key: the one
    statement, which confirms only Kite's key, declines it, and the ORM's confirm asks storage for the row's key."""
    answer = request_upload(client, data, **extra)
    assert post_to_storage(answer.json()["upload"], data).status_code in (200, 201, 204)
    document = Document.objects.get(pk=answer.json()["document"]["id"])
    document.key = f"legacy/{document.pk}"
    storage.put(document.key, data, content_type=document.content_type)
    Document.objects.filter(pk=document.pk).update(key=document.key)
    return document


@pytest.mark.parametrize("classify", [True, False])
def test_the_one_statement_confirms_as_the_orm_does(alice, alice_api, unique_bytes, classify):
    """D-05, UP-03, LIFE-06: a confirm by the one statement and one by the ORM (which the statement declined) leave
    the same state, ETag, queue time, quota and activity line, and each answers the document as it now reads."""
    fast_id = upload_document(alice_api, unique_bytes(300), confirm=False, classify=classify)["id"]
    slow_id = str(upload_under_another_key(alice_api, unique_bytes(500), classify=classify).pk)
    assert (Quota.objects.get(user=alice).used_bytes, Quota.objects.get(user=alice).reserved_bytes) == (0, 800)

    fast, fast_sql = confirm_counted(alice_api, fast_id)
    slow, slow_sql = confirm_counted(alice_api, slow_id)

    assert len(fast_sql) == 2 and is_confirm_statement(fast_sql[1])
    assert is_confirm_statement(slow_sql[1]) and len(slow_sql) > 2  # declined, then the ORM's transaction
    assert fast.status_code == slow.status_code == 200
    quota = Quota.objects.get(user=alice)
    assert (quota.used_bytes, quota.reserved_bytes) == (800, 0)
    for document_id, answer in ((fast_id, fast), (slow_id, slow)):
        document = Document.objects.get(pk=document_id)
        assert document.state == ("queued" if classify else "skipped") == answer.json()["state"]
        assert document.etag and document.etag == storage.head(document.key).etag
        assert (document.enqueued_at is not None) == classify
        assert document.updated > document.created
        assert answer.json() == alice_api.get(f"/api/documents/{document_id}/").json()
        events = Event.objects.filter(document_id=document_id, action=Event.Action.CONFIRM)
        assert [(e.owner_id, e.document_title, e.detail) for e in events] == [(alice.pk, document.title, "")]
    same = ("state", "error", "topics", "pages", "text_source", "thumbnail", "date", "content_type")
    assert {name: fast.json()[name] for name in same} == {name: slow.json()[name] for name in same}


@pytest.mark.parametrize("case", ["reservation lost", "size mismatch"])
def test_a_confirm_the_one_statement_declines_is_refused_as_before(alice, alice_api, unique_bytes, case):
    """UP-03, STORE-05: an upload that no longer fits the quota (its reservation lost), or whose stored size is not
    the declared one, is tried by the one statement, which changes nothing, and refused by the ORM's confirm as
    before: 413 or 409, the upload given up, its reservation released, nothing charged or logged."""
    data = unique_bytes(600)
    answer = request_upload(alice_api, data)
    document_id = answer.json()["document"]["id"]
    assert post_to_storage(answer.json()["upload"], data).status_code in (200, 201, 204)
    if case == "reservation lost":
        Quota.objects.filter(user=alice).update(limit_bytes=1000, used_bytes=500, reserved_bytes=0)
    else:
        Document.objects.filter(pk=document_id).update(size_bytes=599)
        Quota.objects.filter(user=alice).update(reserved_bytes=599)

    refused, sql = confirm_counted(alice_api, document_id)

    assert is_confirm_statement(sql[1])
    expected = (413, "quota_exceeded", (500, 0)) if case == "reservation lost" else (409, "size_mismatch", (0, 0))
    quota = Quota.objects.get(user=alice)
    assert (refused.status_code, refused.json()["code"], (quota.used_bytes, quota.reserved_bytes)) == expected
    assert not Document.objects.filter(pk=document_id).exists()
    assert not Event.objects.filter(document_id=document_id, action=Event.Action.CONFIRM).exists()


def test_a_confirm_again_after_the_one_statement_charges_nothing(alice, alice_api, unique_bytes):
    """D-06: the one statement declines a confirmed document, and the ORM's confirm answers it as it is: charged
    and logged once."""
    document_id = upload_document(alice_api, unique_bytes(400), confirm=False)["id"]
    first, first_sql = confirm_counted(alice_api, document_id)
    again, again_sql = confirm_counted(alice_api, document_id)
    assert len(first_sql) == 2 and is_confirm_statement(first_sql[1]) and is_confirm_statement(again_sql[1])
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    quota = Quota.objects.get(user=alice)
    assert (quota.used_bytes, quota.reserved_bytes) == (400, 0)
    assert Event.objects.filter(document_id=document_id, action=Event.Action.CONFIRM).count() == 1


def someone_waits_for_this_transaction(timeout: float = 10) -> bool:
    """Whether another transaction comes to wait for a lock this one holds, within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND locktype = 'transactionid' "
                "AND transactionid = xid(pg_current_xact_id()))"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.01)
    return False


def confirm_behind(change, client, document_id):
    """Confirm `document_id` while another connection's transaction holds its row, changed by `change`; that
    transaction commits once the confirm waits for it."""
    holding = threading.Event()
    waited: list[bool] = []

    def hold():
        try:
            with transaction.atomic():
                change()
                holding.set()
                waited.append(someone_waits_for_this_transaction())
        finally:
            holding.set()
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(30)
    answer = client.post(f"/api/documents/{document_id}/confirm/")
    holder.join()
    assert waited == [True]
    return answer


@pytest.mark.django_db(transaction=True)
def test_a_confirm_waiting_for_another_confirm_charges_once(alice, alice_api, unique_bytes):
    """D-06, STORE-03: a confirm that waits for the lock of another one of the same document finds it confirmed
    when that one commits (READ COMMITTED reads the row again): 200, charged and logged once."""
    document_id = upload_document(alice_api, unique_bytes(700), confirm=False)["id"]
    answer = confirm_behind(
        lambda: services.document_confirm(user=alice, document_id=document_id), alice_api, document_id
    )
    assert answer.status_code == 200 and answer.json()["state"] == "queued"
    quota = Quota.objects.get(user=alice)
    assert (quota.used_bytes, quota.reserved_bytes) == (700, 0)
    assert Event.objects.filter(document_id=document_id, action=Event.Action.CONFIRM).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_confirm_waiting_for_a_change_of_the_document_confirms_it_as_changed(alice, alice_api, unique_bytes):
    """D-05: a confirm that waits for a change of its upload's row (here a new title) confirms the row as that
    change left it, in its one statement, which updates the row it locked after the change."""
    document_id = upload_document(alice_api, unique_bytes(800), confirm=False)["id"]
    answer = confirm_behind(
        lambda: Document.objects.filter(pk=document_id).update(title="Renamed meanwhile"), alice_api, document_id
    )
    assert answer.status_code == 200
    assert (answer.json()["state"], answer.json()["title"]) == ("queued", "Renamed meanwhile")
    quota = Quota.objects.get(user=alice)
    assert (quota.used_bytes, quota.reserved_bytes) == (800, 0)
    events = Event.objects.filter(document_id=document_id, action=Event.Action.CONFIRM)
    assert [event.document_title for event in events] == ["Renamed meanwhile"]
