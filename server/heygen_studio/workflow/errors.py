"""``Refused``: a call the workflow will not make as asked. Its text is the whole answer, the next step included
(the adapters show it as it is: the MCP adapter as a ``ToolError``, the shell as its one error line)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from pydantic import ValidationError

from ..core.errors import HeyGenError, NotFoundError
from .outputs import Deleted


class Refused(HeyGenError):
    """Bad input, a job that is not there, a step out of order: nothing was sent, or the text says what was."""


ANTICIPATED = (HeyGenError, ValidationError, OSError)
"""The failures ``answer`` words; anything else is a bug and stays a crash."""


def format_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("function-after",)) or "input"
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}")
    return "Invalid input: " + "; ".join(parts) + ". Fix it and call again; nothing was sent or charged."


def answer(exc: HeyGenError | ValidationError | OSError) -> str:
    """What an anticipated failure says, its next step included: ``HeyGenError`` (``Refused`` too) its own text,
    a pydantic validation error one line per field, a local file error where to look. The MCP adapter raises it
    as a ``ToolError`` (``tools.common.reports_errors``), the shell prints it as its one line."""
    if isinstance(exc, HeyGenError):
        return exc.describe()
    if isinstance(exc, ValidationError):
        return format_validation(exc)
    where = f" ({exc.filename})" if exc.filename else ""  # the local file system: a folder not writable, a disk full
    return (f"Local file error: {exc.strerror or exc}{where}. Check that HEYGEN_OUTPUT_DIR is writable and "
            "HEYGEN_ALLOWED_DIRS points at the right folders.")


async def delete(remove: Awaitable[Any], item_id: str, missing: str) -> Deleted:
    """Run a DELETE; a 404 becomes ``missing`` (the next step) instead of an API error."""
    try:
        await remove
    except NotFoundError:
        raise Refused(missing) from None
    return Deleted(id=item_id)
