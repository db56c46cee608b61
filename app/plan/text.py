"""What a text field can hold: the characters every store and export of the plan accepts.

XML 1.0 (the Atom feed) cannot hold C0 control characters other than tab, newline and
carriage return, nor U+FFFE and U+FFFF; PostgreSQL cannot hold NUL; UTF-8 cannot encode a
lone surrogate. Text is cleaned of them on the way in, by every door alike (forms, the
API, the import, uploaded files), so that both databases hold the same words and every
export stays valid.
"""

import re
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints

UNFIT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean(value: str) -> str:
    return UNFIT.sub("", value)



def field(max_length: int, min_length: int = 1) -> Any:
    """A text input type: trimmed, measured as sent (so that the documented maxLength is
    the one enforced), then cleaned, and still not empty when it must not be."""

    def _cleaned(value: str) -> str:
        value = clean(value).strip()
        if len(value) < min_length:
            raise ValueError("This holds no text once control characters are removed.")
        return value

    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length,
                                            max_length=max_length),
                     AfterValidator(_cleaned)]
