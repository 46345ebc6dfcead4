"""Blazing: real-time turn-based multiplayer games over WebSocket."""
