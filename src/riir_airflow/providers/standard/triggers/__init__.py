"""The standard provider's triggers."""
