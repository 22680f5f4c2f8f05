import pytest

from documents.services import sanitize_filename


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\tax return.pdf", "tax return.pdf"),
        ("evil\x00name\x1b[31m.txt", "evilname[31m.txt"),
        ("line\nbreak.txt", "linebreak.txt"),
        ("  spaced.txt  ", "spaced.txt"),
        ("Café résumé.docx", "Café résumé.docx"),
        ("Cafe\u0301.txt", "Café.txt"),
        ("", "unnamed"),
        ("../", "unnamed"),
        ("...", "unnamed"),
        ("\u202egnp.exe", "gnp.exe"),
    ],
)
def test_filenames_are_sanitised(given, expected):
    """D-08: stored filenames carry no directories, control or bidi characters, and are NFC-normalised."""
    assert sanitize_filename(given) == expected


def test_very_long_names_are_cut_keeping_the_extension():
    """D-08: names are at most 255 characters and keep their extension."""
    name = sanitize_filename("a" * 1000 + ".pdf")
    assert len(name) == 255 and name.endswith(".pdf")
