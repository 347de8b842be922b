"""Progress: what a user has practised, how well it is remembered, and their data's export."""
