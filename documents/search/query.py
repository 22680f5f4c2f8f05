"""The query syntax: words, "phrases", -exclusions and `or`, parsed once into groups of terms."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

MAX_QUERY_CHARS = 500
MAX_TERMS = 20

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")
_TSQUERY_UNSAFE = re.compile(r"['\\]")


@dataclass(frozen=True)
class Term:
    text: str  # as typed, for PostgreSQL's parser
    words: tuple[str, ...]  # its words, for the fallback and for finding a snippet
    phrase: bool = False
    negated: bool = False


@lru_cache(maxsize=256)
def parse(q: str) -> tuple[tuple[Term, ...], ...]:
    """`q` as an AND of OR-groups of terms; an excluded term is always a group of its own."""
    groups: list[list[Term]] = []
    either = False
    for match in _TOKEN.finditer(q[:MAX_QUERY_CHARS]):
        minus, phrase, word = match.groups()
        if word is not None and word.lower() == "or":
            either = bool(groups)
            continue
        if word is not None:
            negated = word.startswith("-")
            text = word[1:] if negated else word
            term = Term(text, tuple(_WORD.findall(text)), negated=negated)
        else:
            term = Term(phrase, tuple(_WORD.findall(phrase)), phrase=True, negated=bool(minus))
        if not term.words:
            continue
        if either and not term.negated and not groups[-1][0].negated:
            groups[-1].append(term)
        else:
            if len(groups) == MAX_TERMS:
                break
            groups.append([term])
        either = False
    return tuple(tuple(group) for group in groups)


def tsquery_source(groups: tuple[tuple[Term, ...], ...]) -> str:
    """The to_tsquery() input for `groups`: quoted terms, so PostgreSQL's parser splits them as it split the text."""

    def operand(term: Term) -> str:
        quoted = "'" + _TSQUERY_UNSAFE.sub(" ", term.text) + "'"
        if term.negated:
            return "!" + quoted
        return quoted if term.phrase else quoted + ":*"

    return " & ".join("(" + " | ".join(operand(term) for term in group) + ")" for group in groups)


def fold(text: str) -> str:
    """`text` without its accents, one character for each character ("Résumé" → "Resume"), so that what is
    found in the folded text is at the same place in the text."""
    return "".join(_fold_char(char) for char in text)


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    return unicodedata.normalize("NFD", char)[0]


_PLURAL = re.compile(r"(?<=[^aeiou])ies$|(?<=[^aeiou])y$|(?:(?<=[sxz])|(?<=ch)|(?<=sh))es$|(?<=[^s])s$")


def word_stem(word: str) -> str:
    """`word` lower-cased, unaccented and without an English plural ending, to find its forms by containment:
    "receipts" → "receipt", "companies" and "company" → "compan", "taxes" → "tax".

    PostgreSQL stems with its English stemmer; this is for what has none (the SQLite fallback, and finding
    where in a text a snippet's window starts), so a stem of fewer than three letters is not cut.
    """
    folded = fold(word.lower())
    stem = _PLURAL.sub("", folded)
    return stem if len(stem) >= 3 else folded
