"""The workflow layer: what a call does for the person who asks, between the domain (``core``) and its adapters.

``tools/`` (MCP) and ``shell/`` (the command line) are thin adapters over it: arguments in, one workflow call,
a result out. Every function here takes **who is asking** explicitly, a ``Tenant``: their HeyGen client (their
key, and for a paid call its budget), their jobs in the store, their output folder, their limits. Nothing here
imports ``mcp``; a paid call's dry run, limit and confirmation are arguments (``costs.Spend``), not context.
"""
