"""Voice call recordings: the 2010-04-01 Recording API, its ingest path and console pages."""
