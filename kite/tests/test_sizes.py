"""Sizes read as people write them: "100 MB", not "100.0 MB"."""

from kite.templatetags.sizes import filesize
from quotas.models import Quota


def test_whole_sizes_have_no_decimal_and_others_keep_one():
    assert filesize(100 * 1024**2) == "100\xa0MB"
    assert filesize(5 * 1024**3) == "5\xa0GB"
    assert filesize(1536 * 1024) == "1.5\xa0MB"
    assert filesize(1024) == "1\xa0KB"
    assert filesize(10) == "10\xa0bytes"
    assert filesize(1) == "1\xa0byte"


def test_pages_show_sizes_without_a_trailing_zero(client, alice):
    """The quota meter on every page and the settings page use the same filter, with no template loading it."""
    Quota.objects.filter(user=alice).update(limit_bytes=100 * 1024**2)
    client.force_login(alice)
    page = client.get("/accounts/settings/").content.decode()
    assert "of 100\xa0MB" in page and "100.0" not in page
