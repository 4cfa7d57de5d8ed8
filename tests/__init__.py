"""The connectsafely test suite (a package, so same-named files in subfolders can coexist)."""
