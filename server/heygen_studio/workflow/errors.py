"""``Refused``: a call the workflow will not make as asked. Its text is the whole answer, the next step included
(the adapters show it as it is: the MCP adapter as a ``ToolError``, the shell as its one error line)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from ..core.errors import HeyGenError, NotFoundError
from .outputs import Deleted


class Refused(HeyGenError):
    """Bad input, a job that is not there, a step out of order: nothing was sent, or the text says what was."""


async def delete(remove: Awaitable[Any], item_id: str, missing: str) -> Deleted:
    """Run a DELETE; a 404 becomes ``missing`` (the next step) instead of an API error."""
    try:
        await remove
    except NotFoundError:
        raise Refused(missing) from None
    return Deleted(id=item_id)
