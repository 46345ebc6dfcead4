"""Rooms: the model and lifecycle rules (pure) and the service that runs them."""
