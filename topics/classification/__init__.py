"""Choosing topics for a text: one home for the providers, the built-in learner and the person's settings.

`topics.classification.services.classify(owner=..., text=...)` is the entry point; the models live in
`models.py` (registered with the topics app), the provider clients in `providers.py`, the URL guard for
people's own provider addresses in `urlguard.py` and the offline learner in `builtin.py`.
"""

# The most topics any classifier may give one document (the built-in one and every LLM provider).
MAX_TOPICS = 3
