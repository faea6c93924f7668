"""The parent portal: the public lookup and certificate verification as a thin, stateless web service."""
