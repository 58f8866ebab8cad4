"""ccc-mcp-server: an MCP server for Alibaba Cloud Contact Center (CCC)."""

__version__ = "0.2.0"
