"""Room state and presence: the ports and their adapters."""
