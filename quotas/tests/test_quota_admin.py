"""The quota admin: limits typed and shown as sizes ("5 GB"), stored as bytes (ACC-02)."""

import pytest

from quotas.admin import format_size, parse_size
from quotas.models import Quota


def test_sizes_parse_in_the_units_kite_shows_and_print_back_exactly():
    assert parse_size("5 GB") == parse_size("5gb") == parse_size("5 GiB") == 5 * 1024**3
    assert parse_size("500 MB") == 500 * 1024**2
    assert parse_size("1.5 GB") == parse_size("1,5 GB") == 1536 * 1024**2
    assert parse_size("1234") == parse_size("1234 bytes") == 1234
    for bad in ("", "five GB", "5 XB", "-5 GB", "5 GB 3", "1e9"):
        with pytest.raises(ValueError):
            parse_size(bad)
    assert format_size(5 * 1024**3) == "5 GB"
    assert format_size(1536 * 1024**2) == "1536 MB"
    assert format_size(1234) == "1234 bytes"
    assert format_size(0) == "0 bytes"


def test_the_admin_edits_the_limit_as_a_size(client, staff, alice):
    """ACC-02: the form shows the current limit as a size, takes "500 MB", and stores bytes; the list shows sizes
    and the site calls itself Kite administration."""
    Quota.objects.filter(user=alice).update(limit_bytes=5 * 1024**3)
    client.force_login(staff)
    url = f"/admin/quotas/quota/{alice.pk}/change/"
    form = client.get(url).content.decode()
    assert 'name="limit_bytes" value="5 GB"' in form
    assert "Kite administration" in form
    assert client.post(url, {"limit_bytes": "500 MB"}).status_code == 302
    assert Quota.objects.get(user=alice).limit_bytes == 500 * 1024**2
    listed = client.get("/admin/quotas/quota/").content.decode()
    assert "500\xa0MB" in listed and str(500 * 1024**2) not in listed


def test_bad_sizes_are_refused_with_a_message_and_change_nothing(client, staff, alice):
    """Bad input: words, unknown units, negative and absurd sizes get the form back with an error."""
    Quota.objects.filter(user=alice).update(limit_bytes=1024**3)
    client.force_login(staff)
    url = f"/admin/quotas/quota/{alice.pk}/change/"
    for bad, message in (
        ("lots", "Enter a size such as 500 MB or 5 GB"),
        ("5 XB", "Enter a size such as 500 MB or 5 GB"),
        ("-1 GB", "Enter a size such as 500 MB or 5 GB"),
        ("99999999 TB", "more than any limit can be"),
        ("", "This field is required."),
    ):
        answer = client.post(url, {"limit_bytes": bad})
        assert answer.status_code == 200 and message in answer.content.decode(), bad
    assert Quota.objects.get(user=alice).limit_bytes == 1024**3
