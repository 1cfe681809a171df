"""Pure computation of Simantap (DOMAIN.md sections 2 to 6): no Flask, no database.

Every rule is a plain function of plain data, so it is tested by hand-computed cases and
by properties, and the scoring run (SQL over whole sets) calls the same functions.
"""


def N_(message: str) -> str:
    """Mark a message for translation; it is translated where it is shown."""
    return message
