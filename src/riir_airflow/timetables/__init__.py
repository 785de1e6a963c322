"""``airflow.timetables`` (2.x and 3.x path): timetable modules, served from ``riir_airflow.sdk.timetables``."""
