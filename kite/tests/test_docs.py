"""The repository stands alone: every requirement it cites is defined in docs/requirements.md, and nothing in it
reads or cites a file outside it."""

import os
import re
from pathlib import Path

from django.conf import settings

ROOT = settings.BASE_DIR
REQUIREMENTS_MD = ROOT / "docs" / "requirements.md"
# Not part of the repository: environments, local data, caches.
SKIPPED_DIRS = {".git", ".venv", "venv", "var", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache"}
CITING_SUFFIXES = {".py", ".html", ".js", ".md"}
REQUIREMENT_ID = re.compile(r"\b(?:(?:ACC|STORE|D|DOC|SEC|UI|T|READ|LIFE|UP)-[0-9]+[a-z]?|SC[0-9]+)\b")
DEFINITION = re.compile(r"^- \*\*([A-Z]+-?[0-9]+[a-z]?)\*\* \S", re.MULTILINE)
# Written in pieces so that this file does not match itself.
OUTSIDE = [
    "../" + "shared",  # the directory beside the repository
    "BASE_DIR" + ".parent",  # anything above the repository's root
    "SPEC" + ".md",  # documents that live outside the repository
    "SPEC" + " §",
    "API" + ".md",
]


def repository_files() -> list[Path]:
    files = []
    for directory, subdirectories, names in os.walk(ROOT):
        subdirectories[:] = [name for name in subdirectories if name not in SKIPPED_DIRS]
        files += [Path(directory, name) for name in names if os.path.isfile(os.path.join(directory, name))]
    return files


def text_of(path: Path) -> str | None:
    data = path.read_bytes()
    return None if b"\0" in data else data.decode("utf-8", errors="replace")


def defined_requirements() -> set[str]:
    ids = DEFINITION.findall(REQUIREMENTS_MD.read_text())
    assert len(ids) == len(set(ids)), "a requirement is defined twice"
    return set(ids)


def test_every_cited_requirement_is_defined():
    """Each requirement ID named in a .py, .html, .js or .md file has its definition in docs/requirements.md."""
    defined = defined_requirements()
    assert len(defined) >= 30, "docs/requirements.md's definitions were not read"
    undefined = {}
    for path in repository_files():
        if path.suffix in CITING_SUFFIXES:
            for requirement in set(REQUIREMENT_ID.findall(path.read_text(errors="replace"))) - defined:
                undefined.setdefault(requirement, []).append(str(path.relative_to(ROOT)))
    assert undefined == {}, "cited but not defined in docs/requirements.md"


def test_nothing_reads_or_cites_a_file_outside_the_repository():
    """No file reaches above the repository's root or cites a document kept outside it."""
    found = []
    for path in repository_files():
        text = text_of(path)
        if text is not None:
            found += [f"{path.relative_to(ROOT)}: {needle}" for needle in OUTSIDE if needle in text]
    assert found == []


def test_documentation_is_linked_from_the_readme():
    """README.md leads to the architecture, the API reference and the requirements."""
    readme = (ROOT / "README.md").read_text()
    for page in ("docs/architecture.md", "docs/api.md", "docs/requirements.md"):
        assert f"]({page})" in readme, page
        assert (ROOT / page).is_file(), page
