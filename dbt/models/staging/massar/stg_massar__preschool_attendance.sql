{#-
    Current state of the preschool attendance (macro massar_staging: key and columns from the contract).
    The folder may hold no file yet: then an empty, typed relation.
-#}
{{ massar_staging('preschool_attendance', may_be_empty=true) }}
