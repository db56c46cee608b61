"""A source's text read from a file: HTML through Beautiful Soup (scripts, styles and
navigation dropped), PDF through pypdf, plain text as it is. What comes out is the text
as held: quotes are checked against it and its fingerprint kept."""

import io

from app.plan.text import clean

#: Elements whose words are not the document's own.
NOT_TEXT = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside",
            "form")
MAX_BYTES = 20 * 1024 * 1024


class Unreadable(ValueError):
    """The file is not one whose text can be read."""


def read(name: str, content_type: str | None, data: bytes) -> str:
    kind = _kind(name, content_type, data)
    if kind == "pdf":
        return _pdf(data)
    text = _decode(data)
    return _html(text) if kind == "html" else _tidy(text)


def _kind(name: str, content_type: str | None, data: bytes) -> str:
    lower, ctype = name.lower(), (content_type or "").lower()
    if data.startswith(b"%PDF") or lower.endswith(".pdf") or "pdf" in ctype:
        return "pdf"
    if lower.endswith((".html", ".htm", ".xhtml")) or "html" in ctype:
        return "html"
    if lower.endswith((".txt", ".text", ".md")) or ctype.startswith("text/") or not ctype \
            or ctype == "application/octet-stream":
        return "text"
    raise Unreadable(f"“{name}” is {ctype}: upload an HTML, PDF or plain-text file.")


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Unreadable("The file is neither UTF-8 nor Windows-1252 text.")


# The parsers are imported where used: a worker that never reads an uploaded file does
# not hold them in memory (they and their encodings tables are megabytes).


def _html(markup: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for element in soup(NOT_TEXT):
        element.decompose()
    body = soup.find("article") or soup.find("main") or soup.body or soup
    return _tidy(body.get_text("\n"))


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        text = "\n\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError) as error:
        raise Unreadable(f"The PDF could not be read: {error}") from None
    if not text.strip():
        raise Unreadable("The PDF holds no text layer (a scan?): paste its text instead.")
    return _tidy(text)


def _tidy(text: str) -> str:
    """One paragraph per line group, without the blank runs extraction leaves."""
    text = clean(text.replace("\r\n", "\n"))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
