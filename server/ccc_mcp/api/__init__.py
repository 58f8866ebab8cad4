"""The CCC OpenAPI client. Knows nothing of MCP: it signs, sends, retries and maps errors."""
