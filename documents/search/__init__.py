"""Full-text search over a person's documents: PostgreSQL text search, with a simple fallback on SQLite.

The query syntax is the same on both databases:

- ``tax 2024``: every word must match (AND); each word also matches as a prefix, so ``insur`` finds "insurance",
  and as its other forms, so ``receipts`` finds "receipt" and ``resume`` finds "Résumé";
- ``"annual report"``: the words next to each other, in this order, as whole words;
- ``-draft``, ``-"first version"``: leave out documents containing this word or phrase (whole words);
- ``invoice or receipt``: either one (``or`` binds tighter than the implicit AND).

PostgreSQL matches against a stored, GIN-indexed tsvector (``Document.search_vector``) built with the
``kite_search`` configuration (migration 0015): PostgreSQL's ``english`` one, with accents taken off every word
(the ``unaccent`` dictionary) before it is stemmed, so a word finds its plural, its other endings and its
unaccented spelling; English stop words ("the", "and") are not indexed, and a query of nothing else finds
nothing. The queries and the highlighter use the same configuration by name, so a snippet marks the forms
that matched as they are written. Other languages' words are unaccented and lower-cased and still found by
their prefixes, though their endings are read as English ones; an instance whose documents are mostly in
another language names it in ``KITE_SEARCH_LANGUAGE``, and ``migrate`` points the configuration at that
language's stemmer and indexes every document again (``documents.search.language``). Every word
in that vector carries its owner's id (``42:invoice``) and so does every word of a query, which gives each
person their own part of the one index: a search reads only its owner's postings, so it costs the same
however many documents other people keep, and a query can never match anybody else's words. Results are
ranked by a second, small vector (``Document.rank_vector``): a match in the title counts most, then one in
the filename, then one in the opening of the text; documents that match only further down come after,
newest first. Ranking and counting read only that vector, the date and the id of each match
(``SearchPaginator``); the matching vector carries no planner statistics (migration 0014), so PostgreSQL
always finds matches through the index rather than by unpacking every row's vector, whoever owns the rows.
A word or phrase that names one of the person's topics (their own or a system topic: words of its name, whatever
their case, accents or plural ending, but never the start of a word: "invoice" names "Invoices", "inv" does
not) also finds the documents filed under that topic (not those it is only suggested for): "travel hotel"
finds a document that mentions a hotel and is filed under "Travel". A name made only of words search ignores
("IT", "Other", "The Who") is found by the whole name, whatever its case and accents. The topics are looked
up first, in one query over the person's few topics, and every other search keeps its plan. A group of terms
that names a topic matches through the index or through the topic's filing index, and no row is ever asked
whether its words match (``matching._topic_conditions`` says how): a search whose word names an 18,000-document
topic among 100,000 takes about 1.4× the same search without it. Beside a common word the topic's documents
must be met with that word's, so such a search costs about what that word costs alone. The names are read when
searching: renaming a topic rewrites no document. Ranking stays with the document's own words, so a document
found only through its topic comes after those whose title, filename or opening match, and among those whose
words match only further in (or in the notes), newest first.
SQLite (the embedded mode) has no text search types: there every word, phrase or exclusion is plain
case-insensitive containment in the title, filename, text, notes or topic names, accents ignored and each word
without its English plural ending ("receipts" looks for "receipt"), and title matches come first.

Snippets are HTML whose only markup is ``<mark>``: the database marks matches with control characters it can
never return from the text itself, and Python escapes everything else.
"""

from documents.search.fallback import fallback_functions_install, fallback_rank, fallback_snippet
from documents.search.index import OnPostgreSQL, SearchVectorIndex, rank_vector, search_vector
from documents.search.matching import document_search, owner_match
from documents.search.paginator import SearchPaginator
from documents.search.query import MAX_TERMS, Term, parse, tsquery_source
from documents.search.snippets import SNIPPET_MAX_CHARS, START, STOP, SnippetField, render_snippet

# Migrations name OnPostgreSQL, SearchVectorIndex, search_vector and rank_vector through this package.
__all__ = [
    "MAX_TERMS",
    "SNIPPET_MAX_CHARS",
    "START",
    "STOP",
    "OnPostgreSQL",
    "SearchPaginator",
    "SearchVectorIndex",
    "SnippetField",
    "Term",
    "document_search",
    "fallback_functions_install",
    "fallback_rank",
    "fallback_snippet",
    "owner_match",
    "parse",
    "rank_vector",
    "render_snippet",
    "search_vector",
    "tsquery_source",
]
