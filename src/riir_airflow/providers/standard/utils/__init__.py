"""Helpers of the standard provider's operators."""
