"""Store tests: the shared contract suite (contract*.py) and one test module per implementation."""
