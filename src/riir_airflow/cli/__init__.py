"""Command line interface: `riir-airflow ...` and `python -m riir_airflow ...`."""


def main(argv: list[str] | None = None) -> int:
    from riir_airflow.cli.main import run

    return run(argv)
