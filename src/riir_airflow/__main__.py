from riir_airflow.cli import main

raise SystemExit(main())
