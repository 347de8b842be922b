"""English for the demos feature's pages."""

EN: dict[str, str] = {}
