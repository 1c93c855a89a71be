"""The 2010-04-01 voice Recording API, spelled exactly as Twilio spells it (seed 003)."""
