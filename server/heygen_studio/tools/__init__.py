"""The MCP tools, one module per API area; each exports ``register(server)``."""
