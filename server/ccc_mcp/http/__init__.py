"""The Streamable HTTP transport: security (hosts, origins, authentication), health, and serving."""
