"""Twilio's wire format, shared by the /v1 Video API, the 2010-04-01 Voice API and ingest: error
bodies, paging and page tokens, generic parameters, renderers and the base API view.

It imports no domain code (checked by import-linter, see pyproject.toml): a domain exception gets
its Twilio code by registering it here (``errors.register_error``), never by being imported.
"""
