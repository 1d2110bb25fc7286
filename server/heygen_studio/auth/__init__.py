"""Team mode's door (issue #16 §3): the resource server (one token verifier for every kind of bearer), the
built-in OAuth authorization server and its login page. SDK-facing (``mcp.server.auth``); its records live in
``core`` (``core.people``, ``core.grants``), which knows nothing of MCP."""
