, '{{ params.kind }}' AS k
