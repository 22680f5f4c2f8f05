"""SC4: staff run the instance from the admin and never see what people store."""

import re
from collections import deque

from django.test import Client

from conftest import upload_document
from documents.models import Document, Note
from topics.classification import services as classification_services
from topics.models import DocumentTopic
from topics.tests.factories import TopicFactory

SECRETS = [
    "Alice-private-token-name",  # an API token's name
    "Quarterly-zeppelin-secret",  # title
    "zeppelin-file-name.txt",  # filename
    "marmalade-confidential-text",  # extracted text
    "Alice-private-topic",  # a topic of hers
    "sk-alice-provider-key",  # her provider key
    "Alice-private-note-text",  # a note on her document
    "Trashed-zeppelin-title",  # a document of hers in the trash
]
# Delete confirmations and history pages are crawled too; only log-out, password forms and "view on site" are not.
SKIP = re.compile(r"/(logout|password)/|/admin/r/|\?_changelist_filters")


def crawl(client: Client, start: str = "/admin/", limit: int = 400) -> dict[str, bytes]:
    """Every admin page reachable by links from the index, delete confirmations included (GET only: nothing is
    deleted, nobody logs out)."""
    seen: dict[str, bytes] = {}
    queue = deque([start])
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        seen[url] = answer.content
        for link in re.findall(rb'href="(/admin/[^"#]*)"', answer.content):
            target = link.decode().replace("&amp;", "&")
            if target not in seen and not SKIP.search(target):
                queue.append(target)
    return seen


def test_admin_shows_users_quotas_and_totals_but_no_document_contents(alice, alice_api, staff, unique_bytes, settings):
    """SC4: a superuser crawling every admin page finds users, quotas, counts and byte totals, and no title,
    filename, text, note, topic of a document (in the trash or not), provider key or download link."""
    document = upload_document(alice_api, b"marmalade-confidential-text " * 4, filename="zeppelin-file-name.txt")
    Document.objects.filter(pk=document["id"]).update(
        title="Quarterly-zeppelin-secret", text="marmalade-confidential-text"
    )
    topic = TopicFactory(owner=alice, name="Alice-private-topic")
    DocumentTopic.objects.create(document_id=document["id"], topic=topic, source="manual")
    settings.KITE_PROVIDER_ALLOW_PRIVATE_URLS = True
    classification_services.provider_settings_save(
        user=alice, kind="anthropic", model="m", api_key="sk-alice-provider-key"
    )
    system = TopicFactory(owner=None, name="Invoices")
    DocumentTopic.objects.create(document_id=document["id"], topic=system, source="builtin", confidence=0.5)
    Note.objects.create(document_id=document["id"], text="Alice-private-note-text")
    trashed = upload_document(alice_api, b"in the trash " * 4, filename="trashed.txt")
    Document.objects.filter(pk=trashed["id"]).update(title="Trashed-zeppelin-title")
    assert alice_api.delete(f"/api/documents/{trashed['id']}/").status_code == 204
    token = alice.api_tokens.first()
    token.name = "Alice-private-token-name"
    token.save()

    client = Client()
    client.force_login(staff)
    pages = crawl(client)
    # The pages no link leads to but a URL does: deleting alice (alone and in bulk), her history, the topic's.
    for url in [f"/admin/accounts/user/{alice.pk}/delete/", f"/admin/topics/systemtopic/{system.pk}/delete/"]:
        pages[url] = client.get(url).content
        assert b"would be deleted" in pages[url] or b"Are you sure" in pages[url], url
    bulk = client.post("/admin/accounts/user/", {"action": "delete_selected", "_selected_action": [alice.pk, staff.pk]})
    assert bulk.status_code == 200 and b"Are you sure" in bulk.content
    pages["bulk delete"] = bulk.content
    assert (
        b"alice: 1 document (112\xc2\xa0bytes) and 1 in the trash, 1 topic, 1 API token"
        in pages[f"/admin/accounts/user/{alice.pk}/delete/"]
    )
    assert any("/history/" in url for url in pages) and any("/delete/" in url for url in pages)
    everything = b"\n".join(pages.values())
    assert len(pages) > 10
    for secret in SECRETS:
        assert secret.encode() not in everything, secret
    assert b"X-Amz-Signature" not in everything and document["id"].encode() not in everything
    assert trashed["id"].encode() not in everything
    users = client.get("/admin/accounts/user/").content.decode()
    assert "alice" in users and ">1<" in users and ">112<" in users  # one document, 112 bytes
    assert b"Invoices" in client.get("/admin/topics/systemtopic/").content
    assert "/admin/documents/" not in "".join(pages)


def test_admin_quota_limit_cannot_go_below_usage(alice, alice_api, staff, unique_bytes):
    """SC4, STORE-03: staff can change a limit, but not below what the person already stores."""
    upload_document(alice_api, unique_bytes(500))
    client = Client()
    client.force_login(staff)
    refused = client.post(f"/admin/quotas/quota/{alice.pk}/change/", {"limit_bytes": 100})
    assert refused.status_code == 200 and b"cannot be lower" in refused.content
    assert client.post(f"/admin/quotas/quota/{alice.pk}/change/", {"limit_bytes": 5000}).status_code == 302
    assert alice.quota.__class__.objects.get(user=alice).limit_bytes == 5000


def test_staff_cannot_delete_a_quota_but_can_delete_its_person(alice, bob, staff):
    """ACC-02, ACC-05: the quota admin offers no deletion (a person without a quota could not upload), yet
    deleting the person from the admin still takes the quota with them."""
    from accounts.models import User
    from quotas.models import Quota

    client = Client()
    client.force_login(staff)
    assert client.get(f"/admin/quotas/quota/{alice.pk}/delete/").status_code == 403
    bulk = client.post("/admin/quotas/quota/", {"action": "delete_selected", "_selected_action": [alice.pk]})
    assert Quota.objects.filter(user=alice).exists() and bulk.status_code in (200, 302)
    assert client.post(f"/admin/accounts/user/{bob.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=bob.pk).exists() and not Quota.objects.filter(user_id=bob.pk).exists()
