"""The query syntax: words, "phrases", -exclusions and `or`, parsed once into groups of terms."""

from __future__ import annotations

import re
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


def first_word(groups: tuple[tuple[Term, ...], ...]) -> str:
    for group in groups:
        for term in group:
            if not term.negated:
                return term.words[0].lower()
    return ""
