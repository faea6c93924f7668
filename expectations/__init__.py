"""Great Expectations suites and the quality gate that decides whether a candidate may be published."""
