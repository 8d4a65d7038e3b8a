"""Image analysis output and images → one normalized input document."""
