"""Routes, one module per kind of user task."""
