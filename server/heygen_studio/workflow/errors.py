"""``Refused``: a call the workflow will not make as asked. Its text is the whole answer, the next step included
(the adapters show it as it is: the MCP adapter as a ``ToolError``, the shell as its one error line)."""

from __future__ import annotations

from ..core.errors import HeyGenError


class Refused(HeyGenError):
    """Bad input, a job that is not there, a step out of order: nothing was sent, or the text says what was."""
