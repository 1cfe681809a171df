"""People and organisation: units, positions, NIP rules and the hierarchy queries."""
