"""Configuration: every setting in one model per program, and logging to stderr."""
