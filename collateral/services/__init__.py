"""Services: each owns one unit of work and its transaction."""
