"""heygen-studio: drive HeyGen's AI-avatar video API from MCP clients, with an offline sandbox.

Importing this package is cheap on purpose: the MCP server, the sandbox and the ``openai``
SDK are imported only by the commands that need them.
"""

from __future__ import annotations

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("heygen-studio")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+src"

__all__ = ["__version__"]
