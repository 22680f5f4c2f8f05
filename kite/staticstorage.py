"""Static files with content-hashed names, compressed, and JavaScript modules importing each other by those names.

A module's `import ... from "./live.js"` is rewritten to the hashed name at collectstatic, so a browser that
cached one release's module never loads another release's module beside it after a deploy.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
