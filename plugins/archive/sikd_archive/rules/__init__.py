"""Pure rules of the records domain: plain functions of plain data, no Flask, no database."""


def N_(message: str) -> str:  # noqa: N802 - marks a msgid for extraction; translated when shown
    return message
