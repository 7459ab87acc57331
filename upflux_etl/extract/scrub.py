"""Driver and database error texts without the values they echo.

A driver may quote a row's value in its message (PostgreSQL's `invalid input syntax for type
integer: "123.456.789-09"` or its `DETAIL: Key (cpf)=(...)`, MariaDB's `Duplicate entry '...'`).
`scrub_values` is the one function that removes them; every error that leaves a run passes
through it (`extract.errors.SourceError`, `definitions.scrubbed`, the alerts' one-line reason).
Names of tables and columns after the words that introduce them are kept: they are what a
person needs to fix a query, and they are not personal data.
"""

from __future__ import annotations

import re

VALUE = "<value>"
NUMBER = "<number>"

# Lines that only ever carry a row's values (PostgreSQL's DETAIL and CONTEXT, a failing row).
_VALUE_LINES = re.compile(r"(?im)^\s*(DETAIL|CONTEXT|Failing row contains)\b.*$")
# A quoted token is kept when it names a database object (what follows these words).
_OBJECT_WORDS = (
    "column|relation|table|schema|database|function|type|index|constraint|sequence|view|"
    "near|key|role|user|field list|operator|collation|extension|cursor|statement|file|driver"
)
_NAMED = re.compile(rf"(?i)\b(?:{_OBJECT_WORDS})\s+$")
_IDENTIFIER = re.compile(r"[A-Za-z_][\w.$]{0,62}")
_MYSQL_MESSAGE = re.compile(r"""\((\d{4}), (?:"([^"\n]*)"|'([^'\n]*)')\)""")
# English contractions in drivers' messages ("Can't connect") are not quotes.
_CONTRACTION = re.compile(r"(?i)\b(can|don|doesn|isn|wasn|couldn|won)'t\b")
_APOSTROPHE = "\x00"  # put back as "'" once the quotes are scrubbed
_SINGLE_QUOTED = re.compile(r"'[^'\n]*'")
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`")
_SCRUBS = (
    (re.compile(r"(\w+://[^/\s:@]*):[^/\s@]+@"), r"\1:***@"),  # a password in a URL
    (re.compile(r"(?i)\b(password|pwd|secret|token|key)\s*[=:]\s*[^\s;)\"]+"), r"\1=***"),
    (re.compile(r"(?i)\b(pwd|password)=\{[^}]*\}"), r"\1=***"),  # an ODBC PWD={...}
    (re.compile(r"\(([^()\n]*)\)=\([^()\n]*\)"), rf"(\1)=({VALUE})"),  # Key (col)=(value)
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b"), "<e-mail>"),
    (re.compile(r"(?<!\d)\d{3}\.?\d{3}\.?\d{3}[-/]?\d{2}(?!\d)"), NUMBER),  # CPF
    (re.compile(r"(?<!\d)\d{3}[ .]?\d{4}[ .]?\d{4}[ .]?\d{4}(?!\d)"), NUMBER),  # CNS
    (re.compile(r"(?<![\w-])\(?\d{2}\)?[ ]?9?\d{4}-\d{4}(?![\w-])"), NUMBER),  # phone
    (re.compile(r"(?<![0-9A-Fa-f])\d{6,}(?![0-9A-Fa-f])"), NUMBER),  # long ids and numbers
)


def scrub_values(text: str) -> str:
    """`text` without the values a driver or database may have echoed, line breaks kept.

    Removed: value-only lines (DETAIL, CONTEXT, a failing row), quoted literals except names
    of database objects, `(col)=(value)` pairs, CPF-, CNS- and phone-shaped digit runs, any
    run of six or more digits, e-mail addresses, credentials in URLs and `password=` pairs.
    """
    text = _VALUE_LINES.sub("", text)
    text = _CONTRACTION.sub(lambda m: f"{m.group(1)}{_APOSTROPHE}t", text)
    # MySQL/MariaDB drivers print (code, "message"): the message is the server's own words
    # (kept), its single-quoted parts may be values (scrubbed like any literal).
    parts, at = [], 0
    for m in _MYSQL_MESSAGE.finditer(text):
        parts.append(_QUOTED.sub(_quoted, text[at : m.start()]))
        words = m.group(2) if m.group(2) is not None else m.group(3)
        parts.append(f'({m.group(1)}, "{_SINGLE_QUOTED.sub(_quoted, words)}")')
        at = m.end()
    parts.append(_QUOTED.sub(_quoted, text[at:]))
    text = "".join(parts)
    for pattern, replacement in _SCRUBS:
        text = pattern.sub(replacement, text)
    text = text.replace(_APOSTROPHE, "'")
    return "\n".join(line for line in text.splitlines() if line.strip())


def _quoted(match: re.Match[str]) -> str:
    token, inner = match.group(0), match.group(0)[1:-1]
    before = match.string[max(0, match.start() - 40) : match.start()]
    if _IDENTIFIER.fullmatch(inner) and _NAMED.search(before):
        return token
    return VALUE
