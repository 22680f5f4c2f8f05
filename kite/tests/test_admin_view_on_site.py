"""The admin's "view on site" redirect answers 404, never 500, for ids that cannot exist."""

from django.contrib.contenttypes.models import ContentType

from documents.models import Document


def test_a_malformed_uuid_answers_404_to_staff(staff, client):
    client.force_login(staff)
    content_type = ContentType.objects.get_for_model(Document)
    assert client.get(f"/admin/r/{content_type.pk}/not-a-uuid/").status_code == 404
    assert client.get("/admin/r/999999/anything/").status_code == 404


def test_the_redirect_stays_behind_the_admin_login(client, db):
    content_type = ContentType.objects.get_for_model(Document)
    answer = client.get(f"/admin/r/{content_type.pk}/not-a-uuid/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/admin/login/")
