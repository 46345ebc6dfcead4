"""The gateway: WebSocket and HTTP front door, sans-I/O session logic, fan-out."""
