"""After collectstatic, pages load hashed modules that import each other by hashed names (no mixed releases)."""

import re

from django.core.management import call_command

MODULE = re.compile(r'<script type="module" src="/static/(js/[^"]+)">')
IMPORT = re.compile(r'^import .*? from "(\./[^"]+)";', re.MULTILINE)
HASHED = re.compile(r"^js/[a-z0-9]+\.[0-9a-f]{12}\.js$")


def test_the_upload_page_imports_live_js_by_its_hashed_name(client, alice, settings, tmp_path):
    """The upload module is served by its hashed name, and so are live.js and sha256.js, which it imports."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "kite.staticstorage.StaticFilesStorage"}}
    call_command("collectstatic", interactive=False, verbosity=0)
    client.force_login(alice)
    for address, module in (("/documents/upload/", "upload"), ("/documents/", "documents")):
        sources = MODULE.findall(client.get(address).content.decode())
        assert any(src.startswith(f"js/{module}.") for src in sources), sources
        for src in sources:
            assert HASHED.match(src), src
            for name in IMPORT.findall((tmp_path / src).read_text()):
                target = f"js/{name.removeprefix('./')}"
                assert HASHED.match(target), (src, name)
                assert (tmp_path / target).is_file()
        main = next(src for src in sources if src.startswith(f"js/{module}."))
        assert IMPORT.findall((tmp_path / main).read_text()), main
    modules = MODULE.findall(client.get("/documents/upload/").content.decode())
    upload = (tmp_path / next(src for src in modules if src.startswith("js/upload."))).read_text()
    assert re.search(r'from "\./live\.[0-9a-f]{12}\.js";', upload)
