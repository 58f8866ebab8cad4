"""Plumbing shared by the client, the transports and the simulator: loopback, ASGI hosting, JSON bodies."""
