"""The telephony platform's ingest API, under /ingest/v1 beside the media server's."""
