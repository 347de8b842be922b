"""English for the practice feature's pages."""

EN: dict[str, str] = {}
