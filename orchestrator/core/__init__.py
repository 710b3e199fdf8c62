"""Cross-cutting pieces of the service: settings and token security."""
