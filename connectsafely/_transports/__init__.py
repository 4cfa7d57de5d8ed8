"""Optional HTTP backends, one module each (imported only when used)."""
