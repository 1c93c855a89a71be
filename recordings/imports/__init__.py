"""Bring recordings in: from any Twilio-compatible API (video and voice) and from exported folders,
under their own SIDs, resumable and idempotent."""
