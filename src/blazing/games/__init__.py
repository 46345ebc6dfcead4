"""Games: each one a pure module implementing :class:`Game`, registered here."""
