"""Under stress: the fault matrix, cancellation, bounded load and property-based bad input."""
