"""Cross-cutting rules of every call: who is calling, their rights, rate limits, the audit log."""
