"""Compositions: a room's recordings as one playable file (layout, rendering)."""
