"""What a form says about a value it refuses, in words for the person typing it."""

from typing import Any

#: Pydantic's messages are written for programmers; a form says what to type instead.
PLAIN = {
    "missing": "This field is required.",
    "int_parsing": "Enter a whole number, such as 250.",
    "int_from_float": "Enter a whole number, such as 250.",
    "float_parsing": "Enter a number, such as 48.5.",
    "finite_number": "Enter a number, such as 48.5.",
    "greater_than_equal": "Enter {ge:,} or more.",
    "less_than_equal": "Enter {le:,} or less.",
    "greater_than": "Enter a number above {gt:,}.",
    "string_too_long": "Use at most {max_length:,} characters.",
    "too_long": "Use at most {max_length:,} characters.",
    "list_type": "Choose from the list.",
}


def plain_message(issue: dict[str, Any]) -> str:
    """Pydantic's message, said to the person filling in a form (every form of the app:
    rows, accounts, tokens)."""
    if issue["type"] == "string_too_short":
        least = (issue.get("ctx") or {}).get("min_length", 1)
        return PLAIN["missing"] if least == 1 else f"Use at least {least:,} characters."
    template = PLAIN.get(issue["type"])
    if template is None:
        return issue["msg"].removeprefix("Value error, ")
    context = {k: int(v) if isinstance(v, float) and v.is_integer() else v
               for k, v in issue.get("ctx", {}).items()}
    try:
        return template.format(**context)
    except (KeyError, ValueError):  # a context this wording does not expect
        return issue["msg"].removeprefix("Value error, ")
