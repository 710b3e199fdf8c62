"""The pure core of the domain: its vocabulary and rules, as functions of data (no I/O)."""
