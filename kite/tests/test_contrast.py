"""The stylesheet's colours meet WCAG contrast in the light and the dark scheme: text 4.5:1 (1.4.3), input
borders and the focus ring 3:1 (1.4.11)."""

import re

import pytest
from django.conf import settings

CSS = (settings.BASE_DIR / "static" / "css" / "kite.css").read_text()
PROPERTY = re.compile(r"--([a-z-]+):\s*(#[0-9a-f]{3,6})\b")

# (foreground, background) pairs as the stylesheet puts them together.
TEXT = [
    ("fg", "bg"),
    ("fg", "panel"),
    ("muted", "bg"),
    ("muted", "panel"),
    ("muted", "accent-soft"),
    ("accent", "bg"),
    ("accent", "panel"),
    ("accent-dark", "accent-soft"),
    ("accent-fg", "accent"),
    ("accent-fg", "accent-dark"),
    ("danger", "bg"),
    ("danger", "danger-soft"),
    ("danger-fg", "danger"),
    ("danger-fg", "danger-dark"),
    ("ok", "ok-soft"),
    ("warn", "warn-soft"),
    ("warn", "bg"),
    ("fg", "mark"),
    ("manual-fg", "manual"),
    ("fg", "danger-soft"),
    ("fg", "ok-soft"),
    ("fg", "warn-soft"),
]
NON_TEXT = [("focus", "bg"), ("focus", "panel"), ("line-strong", "bg"), ("line-strong", "panel"), ("warn", "bg")]


def palettes() -> dict[str, dict[str, str]]:
    light_block = CSS[CSS.index(":root {") : CSS.index("}", CSS.index(":root {"))]
    dark_start = CSS.index("@media (prefers-color-scheme: dark)")
    dark_block = CSS[dark_start : CSS.index("}", dark_start)]
    light = dict(PROPERTY.findall(light_block))
    return {"light": light, "dark": {**light, **dict(PROPERTY.findall(dark_block))}}


def luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_borders_and_focus_ring_have_enough_contrast(scheme):
    colours = palettes()[scheme]
    weak = [(fg, bg, round(contrast(colours[fg], colours[bg]), 2)) for fg, bg in TEXT]
    assert [pair for pair in weak if pair[2] < 4.5] == []
    weak = [(fg, bg, round(contrast(colours[fg], colours[bg]), 2)) for fg, bg in NON_TEXT]
    assert [pair for pair in weak if pair[2] < 3] == []


def test_the_dark_scheme_sets_its_own_colours_and_no_rule_hard_codes_one():
    """The dark scheme gives every colour a value of its own but the paper behind thumbnails, which stays white;
    every rule takes its colours from the custom properties, so the dark scheme reaches every page."""
    dark_start = CSS.index("@media (prefers-color-scheme: dark)")
    dark = {name for name, _ in PROPERTY.findall(CSS[dark_start : CSS.index("}", dark_start)])}
    assert dark == set(palettes()["light"]) - {"paper"}
    rules = CSS[CSS.index("* { box-sizing") :]
    assert re.findall(r"#[0-9a-fA-F]{3,6}\b", rules) == []
