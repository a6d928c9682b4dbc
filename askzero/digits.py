"""Decimal numbers as the daemons and their logs write them."""

from __future__ import annotations


def is_number(text: str) -> bool:
    """ASCII decimal digits only: pfctl and the log writers deal in bytes, so ``²`` or ``٣``
    (which ``str.isdigit`` accepts, and ``int`` then rejects or reads) are never numbers."""
    return text.isascii() and text.isdigit()
