{#-
    Current state of the staff situations (macro massar_staging: key and columns from the contract).
    The folder may hold no file yet: then an empty, typed relation.
-#}
{{ massar_staging('staff_situations', may_be_empty=true) }}
