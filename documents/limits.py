"""How long reading one document may take by the clock, known to the worker's actor and to the child that reads.

A module of its own, so the web process (which imports the actors to send them messages) never imports the
readers.
"""

# CPU time is what the child's limit counts; a busy machine stretches the wall clock, so the deadline allows for
# that.
WALL_FACTOR = 2
WALL_EXTRA_SECONDS = 5


def wall_seconds(seconds: int, ocr_seconds: int) -> int:
    """The longest a reading child may run by the clock (documents.sandbox), parsing and OCR together."""
    return (seconds + ocr_seconds) * WALL_FACTOR + WALL_EXTRA_SECONDS
