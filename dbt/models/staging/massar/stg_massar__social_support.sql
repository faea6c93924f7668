{#-
    Current state of the social support (macro massar_staging: key and columns from the contract).
    The folder may hold no file yet: then an empty, typed relation.
-#}
{{ massar_staging('social_support', may_be_empty=true) }}
