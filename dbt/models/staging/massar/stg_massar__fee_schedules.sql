{#-
    Current state of the fee schedules (macro massar_staging: key and columns from the contract).
    The folder may hold no file yet: then an empty, typed relation.
-#}
{{ massar_staging('fee_schedules', may_be_empty=true) }}
