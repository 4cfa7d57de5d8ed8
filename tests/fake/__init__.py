"""The fake server (connectsafely.testing) on its own: its clock, limits, faults and answers."""
