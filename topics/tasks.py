"""Dramatiq actors of the topics app: they take ids and call the services, imported in their bodies."""

import dramatiq


@dramatiq.actor(max_retries=3, time_limit=600_000)
def train_builtin_model(user_id: int) -> None:
    """Retrain a person's offline classifier in the background after they change topics by hand."""
    from topics.classification import services

    services.model_train(user_id=user_id, only_if_stale=True)
