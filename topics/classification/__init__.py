"""Choosing topics for a text: one home for the providers, the built-in learner and the person's settings.

`topics.classification.services.classify(owner=..., text=...)` is the entry point; the models live in
`models.py` (registered with the topics app), the provider clients in `providers.py`, the URL guard for
people's own provider addresses in `urlguard.py` and the offline learner in `builtin.py`.
"""

# The most topics any classifier may give one document (the built-in one and every LLM provider).
MAX_TOPICS = 3

# The one filing threshold, for every classifier: a document is filed under a topic only when the classifier is at
# least this sure of it. Chosen for the built-in classifier on real labelled corpora with `python -m bench.accuracy`
# (docs/benchmarks.md): at 0.9 what it files is right at least 0.1 more often than a linear SVM's every answer, it
# files most documents once each topic has about 20 examples, and names alone file almost nothing.
THRESHOLD = 0.9
# Below the threshold, a topic at least this likely is offered as a suggestion the person accepts or rejects; less
# likely ones are not worth their attention.
SUGGESTION_FLOOR = 0.15
