{#-
    Current state of the exam results (macro massar_staging: key and columns from the contract).
    The folder may hold no file yet: then an empty, typed relation.
    exam_year reads as null in a lake written before the column existed.
-#}
{{ massar_staging('exam_results', may_be_empty=true, optional_columns={'exam_year': 'varchar'}) }}
