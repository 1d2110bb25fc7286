"""Domain core: the HeyGen client, models, errors, transfers and the job journal.

Nothing in this package imports MCP; the MCP adapter (``heygen_studio.server``) depends on it,
never the other way round.
"""
