"""The MCP-facing layer: the MCPServer's assembly, tools as SDK tools, and the fast paths, the only code that
names MCP SDK internals (docs/architecture.md §4, "Depending on SDK internals")."""
