{#-
    Current state of the orientation (macro massar_staging: key and columns from the contract).
    The folder may hold no file yet: then an empty, typed relation.
-#}
{{ massar_staging('orientation', may_be_empty=true) }}
