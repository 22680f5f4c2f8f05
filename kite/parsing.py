"""Reading numbers people type into addresses and forms."""


def is_whole_number(value: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts "²" and "٣", which int() then refuses or misreads."""
    return value.isascii() and value.isdigit()
