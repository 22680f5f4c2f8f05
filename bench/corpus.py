"""A deterministic synthetic corpus: household paperwork with a Zipf-shaped vocabulary and known search targets.

Every document has a category (invoice, insurance, …) that shapes its title, filename and some of its words;
the rest of its text is drawn from a large vocabulary of made-up words with Zipf frequencies, like real text.
Search targets appear at known rates, so the benchmark knows how many documents each query matches:

- ``zeppelin`` in 1 % of documents (a rare word: looking for one particular document);
- the phrase ``"annual report"`` in 2 %;
- ``invoice`` in about 30 % (a common word: the category of one document in eight, and scattered elsewhere).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

CATEGORIES = {
    "invoice": ("Invoice", ["invoice", "amount", "due", "payment", "vat", "total", "order"]),
    "receipt": ("Receipt", ["receipt", "paid", "card", "store", "change", "cashier"]),
    "insurance": ("Insurance policy", ["insurance", "policy", "premium", "cover", "claim", "insured"]),
    "bank": ("Bank statement", ["bank", "statement", "balance", "transfer", "account", "interest"]),
    "tax": ("Tax assessment", ["tax", "assessment", "income", "deduction", "refund", "office"]),
    "contract": ("Contract", ["contract", "agreement", "party", "term", "notice", "signature"]),
    "health": ("Medical letter", ["doctor", "prescription", "clinic", "patient", "appointment", "dose"]),
    "home": ("Rent and utilities", ["rent", "landlord", "electricity", "water", "heating", "meter"]),
}
# The topics each benchmark user files documents under (the built-in classifier reads their descriptions).
TOPICS = {
    "Invoices": "invoice amount due payment vat total order",
    "Receipts": "receipt paid card store cashier",
    "Insurance": "insurance policy premium cover claim",
    "Banking": "bank statement balance transfer account interest",
    "Taxes": "tax assessment income deduction refund",
    "Contracts": "contract agreement party term notice signature",
    "Health": "doctor prescription clinic patient appointment",
    "Home": "rent landlord electricity water heating meter",
}
TOPIC_OF_CATEGORY = dict(zip(CATEGORIES, TOPICS, strict=True))
VENDORS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Soylent", "Vandelay"]
SYLLABLES = ["ka", "lo", "mi", "ter", "van", "sul", "dor", "pe", "rin", "tos", "gal", "mu", "nei", "bra", "fo"]

RARE_WORD = "zeppelin"
RARE_EVERY = 100
PHRASE = "annual report"
PHRASE_EVERY = 50
COMMON_WORD = "invoice"


@dataclass(frozen=True)
class Sample:
    title: str
    filename: str
    text: str
    category: str


class Corpus:
    def __init__(self, seed: int = 7, vocabulary: int = 4000) -> None:
        self.random = random.Random(seed)
        words = {"".join(self.random.choices(SYLLABLES, k=self.random.randint(2, 4))) for _ in range(vocabulary * 2)}
        self.words = sorted(words)[:vocabulary]
        self.random.shuffle(self.words)
        self.cum_weights = list(itertools.accumulate(1 / rank for rank in range(1, len(self.words) + 1)))

    def sample(self, index: int, text_bytes: int = 3000) -> Sample:
        """Document number `index`; the same index always gives the same document."""
        rng = random.Random(index)
        category = list(CATEGORIES)[index % len(CATEGORIES)]
        label, category_words = CATEGORIES[category]
        vendor = rng.choice(VENDORS)
        year, month = 2019 + index % 7, 1 + rng.randrange(12)
        title = f"{label} {vendor} {year}-{month:02d}"
        filename = f"{category}_{vendor.lower()}_{year}{month:02d}_{index}.pdf"
        words: list[str] = []
        length = 0
        while length < text_bytes:
            chunk = rng.choices(self.words, cum_weights=self.cum_weights, k=40)
            chunk[rng.randrange(40)] = rng.choice(category_words)
            if rng.random() < 0.02:
                chunk[rng.randrange(40)] = COMMON_WORD
            words.extend(chunk)
            length += sum(len(word) + 1 for word in chunk)
        words[5:5] = [vendor, str(year)]
        if index % RARE_EVERY == 0:
            words.insert(rng.randrange(len(words)), RARE_WORD)
        if index % PHRASE_EVERY == 1:
            words.insert(rng.randrange(len(words)), PHRASE)
        return Sample(title, filename, " ".join(words), category)
