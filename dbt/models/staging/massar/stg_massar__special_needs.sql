{#-
    Current state of the special needs (macro massar_staging: key and columns from the contract).
    The folder may hold no file yet: then an empty, typed relation.
-#}
{{ massar_staging('special_needs', may_be_empty=true) }}
