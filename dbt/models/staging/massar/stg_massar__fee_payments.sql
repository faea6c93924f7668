{#-
    Current state of the fee payments (macro massar_staging: key and columns from the contract).
    The folder may hold no file yet: then an empty, typed relation.
-#}
{{ massar_staging('fee_payments', may_be_empty=true) }}
