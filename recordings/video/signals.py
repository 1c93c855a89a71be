"""What video tells the apps above it, which it cannot import (the layers point down)."""

from django.dispatch import Signal

# Sent inside the transaction that ends a room (``room_complete``), with ``room``: receivers
# write in it, so their work commits (or rolls back) with the room's end.
room_ended = Signal()
