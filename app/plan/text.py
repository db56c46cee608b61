"""What a text field can hold: the characters every store and export of the plan accepts.

XML 1.0 (the Atom feed) cannot hold C0 control characters other than tab, newline and
carriage return, nor U+FFFE and U+FFFF; PostgreSQL cannot hold NUL; UTF-8 cannot encode a
lone surrogate. Text is cleaned of them on the way in, by every door alike (forms, the
API, the import, uploaded files), so that both databases hold the same words and every
export stays valid.
"""

import re
from typing import Any

UNFIT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean(value: str) -> str:
    return UNFIT.sub("", value)


def cleaned(value: Any) -> Any:
    """`clean` for a validator that may receive anything."""
    return clean(value) if isinstance(value, str) else value
