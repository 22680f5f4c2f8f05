"""Reading numbers people type into addresses and forms."""

# The largest id any table here can hold (a 64-bit signed integer); a larger number names nothing.
MAX_ID = 2**63 - 1


def is_whole_number(value: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts "²" and "٣", which int() then refuses or misreads."""
    return value.isascii() and value.isdigit()
