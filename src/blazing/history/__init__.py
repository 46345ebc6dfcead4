"""Finished-game history: port, record type and adapters."""
