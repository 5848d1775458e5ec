"""What troubleshooting tells the layers above it, without importing them (decision 0009).

`run_resolved(sender=TroubleshootingRun, run=run)`: the operator confirmed that a step fixed the
problem. Sent inside the transaction that recorded the answer, so a receiver's writes commit or roll
back with it. The chat app marks the conversation resolved (assistant/receivers.py).
"""

from __future__ import annotations

from django.dispatch import Signal

run_resolved = Signal()
