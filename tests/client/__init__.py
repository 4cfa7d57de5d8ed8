"""The client itself: configuration, errors, retries, rate limits, secrets, pickling, transports."""
