SELECT *
FROM events
WHERE day = '{{ ds }}'
  AND kind = '{{ params.kind }}'  -- {{ task.task_id }}
