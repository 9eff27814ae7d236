"""Request and response shapes: shared field types in fields.py, one module per resource."""
