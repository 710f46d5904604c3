"""A finished job's answers published as their runs' chunks (decision 0032)."""
