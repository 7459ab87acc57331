"""Report files: written atomically, identified by the SHA-256 of their own content."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

# Rendered in place of the id; the id is the SHA-256 of the text holding this placeholder.
ID_PLACEHOLDER = "0" * 64
_ID_META = re.compile(r'<meta name="upflux-report-id" content="([0-9a-f]{64})">')


def seal(html: str) -> tuple[str, str]:
    """Put the report's id into a report rendered with `ID_PLACEHOLDER`: (text, id)."""
    if ID_PLACEHOLDER not in html:
        raise ValueError("the rendered report has no id placeholder")
    report_id = hashlib.sha256(html.encode("utf-8")).hexdigest()
    return html.replace(ID_PLACEHOLDER, report_id), report_id


def report_id(path: Path) -> str | None:
    """The id a report file claims, if it is intact (the content still hashes to it)."""
    text = path.read_text(encoding="utf-8")
    match = _ID_META.search(text)
    if match is None:
        return None
    claimed = match.group(1)
    original = text.replace(claimed, ID_PLACEHOLDER)
    return claimed if hashlib.sha256(original.encode("utf-8")).hexdigest() == claimed else None


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
