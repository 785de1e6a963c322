#!/usr/bin/env bash
# rendered as a Jinja template before it runs
echo "greet file for {{ dag.dag_id }}.{{ task.task_id }}"
echo "who={{ params.who }} ds={{ ds }}"
echo "last line {{ ds_nodash }}"
