"""HTTP side of the gateway: the games page, static files and the JSON API."""
