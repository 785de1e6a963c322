"""Provider packages shipped with riir-airflow (the `standard` provider of Airflow 3)."""
