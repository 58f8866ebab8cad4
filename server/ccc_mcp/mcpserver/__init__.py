"""The MCP-facing layer: the MCPServer's assembly, and the one adapter to SDK internals."""
