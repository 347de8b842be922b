"""English for the auth feature's pages."""

EN: dict[str, str] = {}
