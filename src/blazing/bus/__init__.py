"""The message bus between gateways and game services: port and adapters."""
