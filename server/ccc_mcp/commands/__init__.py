"""What each `ccc-mcp` command does: serve (stdio or HTTP), the demo, the simulator service."""
