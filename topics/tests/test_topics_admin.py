from django.test import Client

from topics.models import Topic
from topics.tests.factories import TopicFactory


def test_staff_create_system_topics_in_the_admin(staff, alice):
    """D-09: staff create system topics in the Django admin; the admin lists system topics only."""
    TopicFactory(owner=alice, name="Alice private topic")
    client = Client()
    client.force_login(staff)
    answer = client.post("/admin/topics/systemtopic/add/", {"name": "Invoices", "description": "Bills to pay"})
    assert answer.status_code == 302
    topic = Topic.objects.get(name="Invoices")
    assert topic.owner is None and topic.is_system
    listing = client.get("/admin/topics/systemtopic/")
    assert b"Invoices" in listing.content
    assert b"Alice private topic" not in listing.content


def test_regular_users_cannot_reach_the_admin(alice):
    """D-09: a regular user is sent to the admin login, and creates nothing."""
    client = Client()
    client.force_login(alice)
    answer = client.post("/admin/topics/systemtopic/add/", {"name": "Sneaky"})
    assert answer.status_code == 302 and "/admin/login/" in answer["Location"]
    assert not Topic.objects.exists()
