"""English for the content feature's pages."""

EN: dict[str, str] = {}
