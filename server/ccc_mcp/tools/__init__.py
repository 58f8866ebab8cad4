"""MCP tools. Each is thin: arguments, description, annotations; the API client does the work."""
