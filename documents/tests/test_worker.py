import pytest

from conftest import api_client_for, upload_document, wait_for
from documents.models import Document


@pytest.mark.django_db(transaction=True)
def test_confirm_enqueues_processing_through_the_broker(alice, worker, unique_bytes):
    """DOC-01: confirm enqueues the actor after commit; a real worker on the real broker picks it up."""
    client = api_client_for(alice)
    document = upload_document(client, unique_bytes(100))
    assert document["state"] == "queued"
    final = wait_for(
        lambda: Document.objects.filter(pk=document["id"]).exclude(state__in=["queued", "processing"]).first()
    )
    assert final.state == "skipped"
