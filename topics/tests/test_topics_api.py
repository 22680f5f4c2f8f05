import pytest
from rest_framework.test import APIClient

from conftest import api_client_for, upload_document
from topics.models import Topic


@pytest.fixture
def staff_api(staff):
    return api_client_for(staff)


def test_each_user_has_their_own_namespace(alice_api, bob_api):
    """DOC-04: two users may both have "Taxes"; a second "taxes" for the same user answers 400."""
    assert alice_api.post("/api/topics/", {"name": "Taxes"}, format="json").status_code == 201
    assert bob_api.post("/api/topics/", {"name": "Taxes"}, format="json").status_code == 201
    again = alice_api.post("/api/topics/", {"name": "taxes"}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "invalid"
    assert Topic.objects.filter(name__iexact="taxes").count() == 2


def test_list_shows_own_and_system_topics_only(alice_api, bob_api, staff_api):
    """DOC-04: the list holds the user's topics and every system topic, never another user's."""
    alice_api.post("/api/topics/", {"name": "Mine"}, format="json")
    bob_api.post("/api/topics/", {"name": "Bobs"}, format="json")
    staff_api.post("/api/topics/", {"name": "Invoices", "is_system": True}, format="json")
    body = alice_api.get("/api/topics/").json()
    assert {(t["name"], t["is_system"]) for t in body["results"]} == {("Mine", False), ("Invoices", True)}
    assert set(body["results"][0]) == {"id", "name", "description", "is_system", "document_count"}


def test_only_staff_manage_system_topics(alice_api, staff_api):
    """D-09: a regular user creating, renaming or deleting a system topic gets 403; staff may."""
    assert alice_api.post("/api/topics/", {"name": "Sys", "is_system": True}, format="json").status_code == 403
    assert not Topic.objects.exists()
    created = staff_api.post("/api/topics/", {"name": "Sys", "is_system": True}, format="json")
    assert created.status_code == 201 and created.json()["is_system"] is True
    url = f"/api/topics/{created.json()['id']}/"
    assert alice_api.get(url).status_code == 200
    assert alice_api.patch(url, {"name": "Mine now"}, format="json").status_code == 403
    assert alice_api.delete(url).status_code == 403
    assert Topic.objects.get().name == "Sys"
    assert staff_api.patch(url, {"name": "Renamed"}, format="json").json()["name"] == "Renamed"
    assert staff_api.delete(url).status_code == 204
    duplicate = staff_api.post("/api/topics/", {"name": "Dup", "is_system": True}, format="json")
    assert duplicate.status_code == 201
    assert staff_api.post("/api/topics/", {"name": "DUP", "is_system": True}, format="json").status_code == 400


def test_it_checks_access(alice_api, bob_api, staff_api):
    """SEC-04, D-17: another user's topic answers 404 to every method, to staff too; anonymous gets 401."""
    topic = alice_api.post("/api/topics/", {"name": "Private"}, format="json").json()
    url = f"/api/topics/{topic['id']}/"
    for client in (bob_api, staff_api):
        assert client.get(url).status_code == 404
        assert client.patch(url, {"name": "x"}, format="json").status_code == 404
        assert client.delete(url).status_code == 404
    assert APIClient().get("/api/topics/").status_code == 401
    assert APIClient().get(url).status_code == 401
    assert Topic.objects.get(pk=topic["id"]).name == "Private"


def test_document_count_counts_only_own_documents(alice_api, bob_api, staff_api, unique_bytes):
    """DOC-04: a system topic's document_count is the requesting user's own count."""
    system = staff_api.post("/api/topics/", {"name": "Letters", "is_system": True}, format="json").json()
    for client in (alice_api, bob_api, bob_api):
        document = upload_document(client, unique_bytes(20), classify=False)
        client.patch(f"/api/documents/{document['id']}/", {"topic_ids": [system["id"]]}, format="json")
    counts = {t["name"]: t["document_count"] for t in alice_api.get("/api/topics/").json()["results"]}
    assert counts == {"Letters": 1}


def test_manual_topics_through_patch(alice_api, bob_api, unique_bytes):
    """T-01: PATCH topic_ids sets manual topics; another user's topic id is refused with 400 and changes nothing."""
    mine = alice_api.post("/api/topics/", {"name": "Taxes"}, format="json").json()
    bobs = bob_api.post("/api/topics/", {"name": "Secret"}, format="json").json()
    document = upload_document(alice_api, unique_bytes(20), classify=False)
    url = f"/api/documents/{document['id']}/"
    answer = alice_api.patch(url, {"topic_ids": [mine["id"]]}, format="json")
    assert answer.status_code == 200
    assert answer.json()["topics"] == [
        {"id": mine["id"], "name": "Taxes", "is_system": False, "source": "manual", "confidence": None}
    ]
    refused = alice_api.patch(url, {"topic_ids": [bobs["id"]]}, format="json")
    assert refused.status_code == 400
    assert [t["id"] for t in alice_api.get(url).json()["topics"]] == [mine["id"]]
    assert alice_api.patch(url, {"topic_ids": []}, format="json").json()["topics"] == []


@pytest.mark.parametrize(
    "body", [{}, {"name": ""}, {"name": 5}, {"name": "x" * 101}, {"name": "ok", "is_system": "yes"}]
)
def test_bad_topic_input_gets_400(alice_api, body):
    """SEC-06: bad topic input answers 400 and creates nothing."""
    assert alice_api.post("/api/topics/", body, format="json").status_code == 400
    assert not Topic.objects.exists()
