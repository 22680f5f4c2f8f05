import pytest
import requests

from conftest import upload_document


@pytest.mark.parametrize(
    ("filename", "content_type", "disposition", "served_type"),
    [
        ("scan.pdf", "application/pdf", "inline", "application/pdf"),
        ("photo.png", "image/png", "inline", "image/png"),
        ("page.html", "text/html", "attachment", "application/octet-stream"),
        ("drawing.svg", "image/svg+xml", "attachment", "application/octet-stream"),
    ],
)
def test_preview_is_inline_only_for_safe_types(
    client, alice, alice_api, unique_bytes, filename, content_type, disposition, served_type
):
    """D-08: previews are presigned GETs, inline for PDF, images and text only; HTML and SVG download."""
    document = upload_document(alice_api, unique_bytes(64), filename=filename, content_type=content_type)
    client.force_login(alice)
    answer = client.get(f"/documents/{document['id']}/preview/")
    assert answer.status_code == 302
    fetched = requests.get(answer["Location"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.headers["Content-Disposition"].startswith(disposition + ";")
    assert fetched.headers["Content-Type"] == served_type


def test_preview_link_is_for_one_object_only(client, alice, alice_api, unique_bytes):
    """D-08, SEC-04: a presigned link cannot be bent to another key."""
    first = upload_document(alice_api, unique_bytes(64))
    second = upload_document(alice_api, unique_bytes(64))
    client.force_login(alice)
    url = client.get(f"/documents/{first['id']}/preview/")["Location"]
    assert requests.get(url.replace(first["id"], second["id"]), timeout=10).status_code == 403
