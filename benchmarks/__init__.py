"""Performance harness of ccc-mcp-server (docs/performance.md; goals in docs/architecture.md §4).

One command, from the repository root::

    python -m benchmarks            # the full run: table on stdout, results/latest.json, docs/performance.md
    python -m benchmarks --quick    # a smoke run with tiny counts (writes results/quick.json only)
    python -m benchmarks.profiles   # pyinstrument / py-spy profiles of cold start and of a call

Every figure is a median over interleaved runs (A, B, A, B, ...) with its min and max, and every goal is a
ratio against a reference measured in the same run. Loopback only.
"""
