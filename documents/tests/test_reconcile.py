import pytest
from django.core.management import CommandError, call_command

from conftest import upload_document
from quotas.models import Quota


def test_reconcile_finds_drift_and_fix_repairs_it(alice, alice_api, bob, bob_api, unique_bytes, capsys):
    """D-10: reconcile_quotas reports a drift made on purpose, exits non-zero, and --fix repairs only it."""
    upload_document(alice_api, unique_bytes(1000))
    upload_document(bob_api, unique_bytes(500))
    Quota.objects.filter(user=alice).update(used_bytes=1234)

    with pytest.raises(CommandError):
        call_command("reconcile_quotas")
    report = capsys.readouterr().out
    assert "alice" in report and "recorded 1234 bytes, stored 1000 bytes, drift +234" in report
    assert "bob" not in report
    assert Quota.objects.get(user=alice).used_bytes == 1234  # reporting changes nothing

    call_command("reconcile_quotas", "--fix")
    assert Quota.objects.get(user=alice).used_bytes == 1000
    assert Quota.objects.get(user=bob).used_bytes == 500
    call_command("reconcile_quotas")
    assert "No drift" in capsys.readouterr().out
