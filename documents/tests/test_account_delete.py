from accounts.models import ApiToken, User
from conftest import object_exists, upload_document
from documents import periodic
from documents.models import Document, StorageDeletion
from quotas.models import Quota
from topics.models import Topic
from topics.tests.factories import TopicFactory


def test_deleting_an_account_removes_everything_of_it_and_nothing_else(
    client, alice, alice_api, bob, bob_api, unique_bytes, django_capture_on_commit_callbacks
):
    """ACC-05: documents, stored objects, topics, tokens and quota of the person go; bob's things stay."""
    for _ in range(2):
        upload_document(alice_api, unique_bytes(100))
    bobs = upload_document(bob_api, unique_bytes(100))
    TopicFactory(owner=alice, name="Taxes")
    TopicFactory(owner=bob, name="Taxes")
    alice_keys = list(Document.objects.filter(owner=alice).values_list("key", flat=True))
    bob_key = Document.objects.get(pk=bobs["id"]).key

    client.force_login(alice)
    assert client.post("/accounts/delete/", {"password": "wrong"}).status_code == 200
    assert User.objects.filter(pk=alice.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/accounts/delete/", {"password": "correct horse battery"}).status_code == 302
    periodic.storage_deletions_drain()

    assert not User.objects.filter(pk=alice.pk).exists()
    assert not Document.objects.filter(owner_id=alice.pk).exists()
    assert not Topic.objects.filter(owner_id=alice.pk).exists()
    assert not ApiToken.objects.filter(user_id=alice.pk).exists()
    assert not Quota.objects.filter(user_id=alice.pk).exists()
    assert not any(object_exists(key) for key in alice_keys)
    assert object_exists(bob_key)
    assert Document.objects.filter(owner=bob).count() == 1
    assert Topic.objects.filter(owner=bob).count() == 1
    assert Quota.objects.get(user=bob).used_bytes == 100


def test_a_person_deleted_any_other_way_leaves_no_stored_object(
    alice, alice_api, bob, bob_api, staff, client, unique_bytes, django_capture_on_commit_callbacks
):
    """ACC-05: deleting a person in a shell (`user.delete()`) or through the admin queues their objects in the
    same transaction, and the drain deletes them; nobody else's object is touched."""
    upload_document(alice_api, unique_bytes(100))
    upload_document(bob_api, unique_bytes(100))
    # Each file, and the thumbnail its reading may have stored.
    alice_keys = [key for document in Document.objects.filter(owner=alice) for key in document.object_keys()]
    bob_keys = [key for document in Document.objects.filter(owner=bob) for key in document.object_keys()]

    with django_capture_on_commit_callbacks(execute=False):
        alice.delete()
    assert set(StorageDeletion.objects.values_list("key", flat=True)) == set(alice_keys)
    periodic.storage_deletions_drain()
    assert not any(object_exists(key) for key in alice_keys)

    client.force_login(staff)
    answer = client.post(f"/admin/accounts/user/{bob.pk}/delete/", {"post": "yes"})
    assert answer.status_code == 302
    assert not User.objects.filter(pk=bob.pk).exists()
    periodic.storage_deletions_drain()
    assert not any(object_exists(key) for key in bob_keys)
    # Nothing left to do now; the keys wait only to be deleted once more when their upload forms expire.
    assert not StorageDeletion.objects.filter(StorageDeletion.due()).exists()
