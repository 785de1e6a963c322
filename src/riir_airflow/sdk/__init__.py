"""The Airflow 3 authoring surface (`airflow.sdk`). Filled in as the SDK modules land."""
