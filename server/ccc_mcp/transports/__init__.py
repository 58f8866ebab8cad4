"""Streamable HTTP: the ASGI app with its security, authentication and give-up cancellation."""
