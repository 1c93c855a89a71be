"""The Django admin changelist of recordings: the console list page's baseline."""
