"""The standard provider's sensors."""
