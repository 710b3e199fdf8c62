"""The service's operations. Each takes a session, keyword-only arguments, and returns rows.

They raise domain errors, flush but never commit: the API commits one request's work as one
transaction.
"""
