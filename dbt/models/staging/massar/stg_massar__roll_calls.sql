{#-
    Current state of the roll calls (macro massar_staging: key and columns from the contract).
    The folder may hold no file yet: then an empty, typed relation.
-#}
{{ massar_staging('roll_calls', may_be_empty=true) }}
