"""Broker tests: the internal app API, auth, leases, commands, zombies, limits."""
