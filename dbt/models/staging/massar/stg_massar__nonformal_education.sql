{#-
    Current state of the nonformal education (macro massar_staging: key and columns from the contract).
    The folder may hold no file yet: then an empty, typed relation.
-#}
{{ massar_staging('nonformal_education', may_be_empty=true) }}
