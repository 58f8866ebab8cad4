"""`python -m ccc_mcp` is the same as the `ccc-mcp` console script."""

from ccc_mcp.cli import main

if __name__ == "__main__":
    main()
