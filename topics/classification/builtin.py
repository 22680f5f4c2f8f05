"""The built-in offline classifier (D-15): ranks a document's text against topics with no network at all.

Without a trained model it compares the text with each topic's name and description; with a model trained on
the user's own assignments it uses that model's probabilities.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize

from topics.classification import MAX_TOPICS, SUGGESTION_FLOOR, THRESHOLD

logger = logging.getLogger(__name__)

MODEL_FORMAT = 2
# A second topic is assigned only when the model is nearly as sure of it as of the best one.
CLOSE_TO_BEST = 0.75

# The opening of a document says what it is about; the cap keeps ranking fast on very long texts.
MAX_TEXT_CHARS = 50_000
# Most word and character features kept per model, the most frequent first.
MAX_FEATURES = 50_000
# Logistic regression with little regularisation ranked best on the measured corpora (C=10 was less sure and
# no more accurate); its softmax gives the probabilities the threshold is read against.
REGULARISATION_C = 100.0
# A topic's name and description count for less than a document the user actually filed under it.
TOPIC_EXAMPLE_WEIGHT = 0.5

_WORD = re.compile(r"[^\W\d_]{2,}")
# Whole words, and the 3- to 5-letter pieces of words, so "tax", "taxes" and "taxation" share features.
_CHAR_NGRAMS = (3, 5)
_CACHED_MODELS = 8
# Probabilities are calibrated by cross-validation over this many folds, with one factor from this range.
CALIBRATION_FOLDS = 5
TEMPERATURES = tuple(float(t) for t in np.geomspace(0.25, 16.0, 31))


@dataclass(frozen=True)
class TopicInfo:
    id: int
    name: str
    description: str = ""


@dataclass(frozen=True, eq=False)  # compared and cached by identity: one loaded model, one set of counters
class _Model:
    words: list[str]
    word_idf: np.ndarray
    chars: list[str]
    char_idf: np.ndarray
    weights: np.ndarray
    intercepts: np.ndarray
    topic_ids: list[int]


def rank(text: str, topics: list[TopicInfo], model: bytes | None = None) -> list[tuple[int, float]]:
    """Every given topic with a confidence in [0, 1] that `text` belongs to it, best first.

    Topics the model knows get the model's probability; the others, or all of them when there is no usable
    model, get the cosine similarity between the text and the topic's name and description.
    """
    unique = list({topic.id: topic for topic in topics}.values())
    text = text[:MAX_TEXT_CHARS]
    if not _WORD.search(text):
        return [(topic.id, 0.0) for topic in unique]
    scores: dict[int, float] = {}
    loaded = _load(model) if model else None
    if loaded is not None:
        wanted = {topic.id for topic in unique}
        scores.update((i, p) for i, p in _probabilities(loaded, text).items() if i in wanted)
    rest = [topic for topic in unique if topic.id not in scores]
    scores.update(_similarities(text, rest))
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def train(examples: list[tuple[str, int]], topics: list[TopicInfo]) -> bytes | None:
    """A model fitted on (text, topic id) examples, serialised for `rank`; None with fewer than two topics.

    Examples whose topic is not among `topics` are ignored, so a deleted topic is never predicted. Each
    topic's name and description join the training set as a light example of their own.
    """
    known = {topic.id for topic in topics}
    examples = [(text[:MAX_TEXT_CHARS], topic_id) for text, topic_id in examples if topic_id in known]
    if len({topic_id for _, topic_id in examples}) < 2:
        return None
    texts = [text for text, _ in examples] + [_topic_text(topic) for topic in topics]
    labels = [topic_id for _, topic_id in examples] + [topic.id for topic in topics]
    weights = [1.0] * len(examples) + [TOPIC_EXAMPLE_WEIGHT] * len(topics)
    try:
        return _dump(_fit(texts, labels, weights, len(examples)))
    except ValueError:  # no example holds a single word, so there are no features to learn from
        return None


def usable(model: bytes) -> bool:
    """Whether `rank` can use `model`: readable, consistent and of this release's format."""
    return _load(model) is not None


def choose(
    ranked: Sequence[tuple[int, float]],
    *,
    threshold: float = THRESHOLD,
    max_topics: int = MAX_TOPICS,
) -> list[tuple[int, float]]:
    """The topics to assign: the best one if it reaches `threshold`, plus any close to it, at most `max_topics`.

    "Close" means at least CLOSE_TO_BEST times the best confidence and also above the threshold. The defaults
    (THRESHOLD, MAX_TOPICS) keep a document untagged rather than guess when nothing stands out.
    """
    ordered = sorted(ranked, key=lambda pair: (-pair[1], pair[0]))
    if not ordered or max_topics < 1 or ordered[0][1] < threshold:
        return []
    floor = max(threshold, ordered[0][1] * CLOSE_TO_BEST)
    return [pair for pair in ordered if pair[1] >= floor][:max_topics]


def suggest(
    ranked: Sequence[tuple[int, float]], *, threshold: float = THRESHOLD, floor: float = SUGGESTION_FLOOR
) -> list[tuple[int, float]]:
    """What to offer when `choose` files nothing: the best topic, if it is at least `floor` likely."""
    ordered = sorted(ranked, key=lambda pair: (-pair[1], pair[0]))
    if not ordered or not floor <= ordered[0][1] < threshold:
        return []
    return ordered[:1]


def _fold(text: str) -> str:
    """Lower case without accents, so "Café" and "cafe" are one word."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in folded if not unicodedata.combining(char))


def _terms(text: str) -> list[str]:
    """Words plus their character n-grams, for comparing a text with topic names and descriptions."""
    terms = []
    for word in _WORD.findall(_fold(text)):
        if word in ENGLISH_STOP_WORDS:
            continue
        terms.append(f"w:{word}")
        padded = f" {word} "
        for size in range(_CHAR_NGRAMS[0], _CHAR_NGRAMS[1] + 1):
            terms.extend(padded[i : i + size] for i in range(len(padded) - size + 1))
    return terms


def _topic_text(topic: TopicInfo) -> str:
    return f"{topic.name}\n{topic.description}"


def _counter(vocabulary: Iterable[str] | None = None, max_features: int | None = None) -> CountVectorizer:
    return CountVectorizer(analyzer=_terms, vocabulary=vocabulary, max_features=max_features, dtype=np.float64)


def _idf(counts: sparse.csr_matrix) -> np.ndarray:
    documents = counts.shape[0]
    frequency = np.bincount(counts.indices, minlength=counts.shape[1])
    return np.log((1 + documents) / (1 + frequency)) + 1


def _weigh(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """Sublinear TF-IDF rows of unit length; training and ranking both go through here so they always agree."""
    weighted = counts.astype(np.float64, copy=True).tocsr()
    weighted.data = 1 + np.log(weighted.data)
    return normalize(weighted.multiply(idf).tocsr())


def _similarities(text: str, topics: list[TopicInfo]) -> dict[int, float]:
    """Cosine similarity over a vocabulary taken from the topics alone, so that a long document is not
    diluted by the many words no topic mentions."""
    if not topics:
        return {}
    counter = _counter()
    try:
        topic_counts = counter.fit_transform([_topic_text(topic) for topic in topics])
    except ValueError:  # no topic has a usable word in its name or description
        return {topic.id: 0.0 for topic in topics}
    idf = _idf(topic_counts)
    document = _weigh(counter.transform([text]), idf)
    similarity = (_weigh(topic_counts, idf) @ document.T).toarray().ravel()
    return {topic.id: float(np.clip(score, 0.0, 1.0)) for topic, score in zip(topics, similarity, strict=True)}


def _words(text: str) -> str:
    """The text as its folded words alone, one space apart: what the trained model's features are made of."""
    return " ".join(_WORD.findall(_fold(text)))


def _word_counter(vocabulary: list[str] | None = None) -> CountVectorizer:
    return CountVectorizer(
        analyzer=str.split,
        vocabulary=vocabulary,
        max_features=None if vocabulary else MAX_FEATURES,
        dtype=np.float64,
    )


def _char_counter(vocabulary: list[str] | None = None) -> CountVectorizer:
    return CountVectorizer(
        analyzer="char_wb",
        ngram_range=_CHAR_NGRAMS,
        lowercase=False,
        vocabulary=vocabulary,
        max_features=None if vocabulary else MAX_FEATURES,
        dtype=np.float64,
    )


def _features(words: sparse.csr_matrix, chars: sparse.csr_matrix, model_idf: tuple[np.ndarray, np.ndarray]):
    """Word and character TF-IDF side by side, each half and the whole of unit length."""
    return normalize(sparse.hstack([_weigh(words, model_idf[0]), _weigh(chars, model_idf[1])]).tocsr())


def _fit(texts: list[str], labels: list[int], weights: list[float], examples: int) -> _Model:
    cleaned = [_words(text) for text in texts]
    word_counter, char_counter = _word_counter(), _char_counter()
    words, chars = word_counter.fit_transform(cleaned), char_counter.fit_transform(cleaned)
    word_idf, char_idf = _idf(words), _idf(chars)
    features = _features(words, chars, (word_idf, char_idf))
    classifier = _classifier().fit(features, labels, sample_weight=weights)
    coefficients, intercepts = _logit_weights(classifier)
    # Scaling every logit by the temperature found on examples the model did not see makes its probabilities
    # mean what they say, so one threshold serves a person with 5 examples per topic and one with 500.
    temperature = _temperature(features, np.asarray(labels), np.asarray(weights), examples)
    return _Model(
        words=list(word_counter.get_feature_names_out()),
        word_idf=word_idf,
        chars=list(char_counter.get_feature_names_out()),
        char_idf=char_idf,
        weights=(coefficients * temperature).astype(np.float32),
        intercepts=(intercepts * temperature).astype(np.float64),
        topic_ids=[int(label) for label in classifier.classes_],
    )


def _classifier() -> LogisticRegression:
    return LogisticRegression(C=REGULARISATION_C, class_weight="balanced", max_iter=3000, random_state=0)


def _logit_weights(classifier: LogisticRegression) -> tuple[np.ndarray, np.ndarray]:
    coefficients, intercepts = classifier.coef_, classifier.intercept_
    if coefficients.shape[0] == 1:
        # Two classes come back as one logit; split it so that a softmax gives the same probabilities.
        coefficients = np.vstack([-coefficients, coefficients]) / 2
        intercepts = np.array([-intercepts[0], intercepts[0]]) / 2
    return coefficients, intercepts


def _temperature(features: sparse.csr_matrix, labels: np.ndarray, weights: np.ndarray, examples: int) -> float:
    """The factor for the logits that best predicts, by cross-validation, the topics of the person's own
    examples (the first `examples` rows; the topics' names, after them, always stay in training). 1 when some
    topic has too few examples to hold any out."""
    own = np.arange(examples)
    classes, counts = np.unique(labels[own], return_counts=True)
    folds = min(CALIBRATION_FOLDS, int(counts.min())) if len(classes) == len(np.unique(labels)) else 0
    if folds < 2:
        return 1.0
    logits = np.zeros((examples, len(classes)))
    always = np.arange(examples, len(labels))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for learn, held in splitter.split(own, labels[own]):
        rows = np.concatenate([learn, always])
        fold = _classifier().fit(features[rows], labels[rows], sample_weight=weights[rows])
        coefficients, intercepts = _logit_weights(fold)
        logits[held] = np.asarray(features[held] @ coefficients.T) + intercepts
    truth = np.searchsorted(classes, labels[own])

    def loss(temperature: float) -> float:
        scaled = logits * temperature
        scaled -= scaled.max(axis=1, keepdims=True)
        log_probabilities = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        return float(-log_probabilities[np.arange(examples), truth].mean())

    return min(TEMPERATURES, key=loss)


def _probabilities(model: _Model, text: str) -> dict[int, float]:
    word_counter, char_counter = _counters(model)
    cleaned = [_words(text)]
    document = _features(
        word_counter.transform(cleaned), char_counter.transform(cleaned), (model.word_idf, model.char_idf)
    )
    logits = np.asarray(document @ model.weights.T, dtype=np.float64).ravel() + model.intercepts
    exponentials = np.exp(logits - logits.max())
    probabilities = exponentials / exponentials.sum()
    return {topic_id: float(p) for topic_id, p in zip(model.topic_ids, probabilities, strict=True)}


@functools.lru_cache(maxsize=_CACHED_MODELS)
def _counters(model: _Model) -> tuple[CountVectorizer, CountVectorizer]:
    """Counters for a model's vocabulary, built once per model: indexing 100,000 features costs more than
    ranking a document."""
    return _word_counter(model.words), _char_counter(model.chars)


def _dump(model: _Model) -> bytes:
    """Plain arrays in an .npz archive: loading them runs no code and survives scikit-learn upgrades."""
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        format=np.array([MODEL_FORMAT]),
        words=np.array(model.words, dtype=str),
        word_idf=model.word_idf.astype(np.float32),
        chars=np.array(model.chars, dtype=str),
        char_idf=model.char_idf.astype(np.float32),
        weights=model.weights.astype(np.float32),
        intercepts=model.intercepts,
        topic_ids=np.array(model.topic_ids, dtype=np.int64),
    )
    return buffer.getvalue()


def _load(blob: bytes) -> _Model | None:
    """The model in `blob`, or None when it is damaged or from another format version (ranking then falls
    back to names and descriptions rather than failing the document)."""
    return _load_format(blob, MODEL_FORMAT)


@functools.lru_cache(maxsize=_CACHED_MODELS)
def _load_format(blob: bytes, version: int) -> _Model | None:
    """A worker ranks many documents with one person's model; it is read from its archive once."""
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
            if archive["format"].tolist() != [version]:
                logger.info("Ignoring a built-in classifier model of another format version")
                return None
            model = _Model(
                words=archive["words"].tolist(),
                word_idf=archive["word_idf"].astype(np.float64),
                chars=archive["chars"].tolist(),
                char_idf=archive["char_idf"].astype(np.float64),
                weights=archive["weights"].astype(np.float32),
                intercepts=archive["intercepts"].astype(np.float64),
                topic_ids=archive["topic_ids"].tolist(),
            )
    except Exception as error:  # numpy and zipfile raise many types on a damaged archive; all mean unusable
        logger.warning("Ignoring an unreadable built-in classifier model: %s", error)
        return None
    return model if _consistent(model) else None


def _consistent(model: _Model) -> bool:
    words, chars, classes = len(model.words), len(model.chars), len(model.topic_ids)
    return (
        words >= 1
        and chars >= 1
        and classes >= 2
        and len(set(model.words)) == words
        and len(set(model.chars)) == chars
        and model.word_idf.shape == (words,)
        and model.char_idf.shape == (chars,)
        and model.weights.shape == (classes, words + chars)
        and model.intercepts.shape == (classes,)
    )
