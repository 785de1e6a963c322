"""The standard provider: bash, python, empty, branching, trigger and time operators."""
