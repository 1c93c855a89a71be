"""One module per group of cases; each measures, checks every answer it times, returns rows."""
