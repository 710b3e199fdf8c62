"""The database edge: the engine and sessions, the tables, the ledger's queries, migrations."""
