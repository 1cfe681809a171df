"""The append-only, hash-chained audit log: a host service for everyone."""
