"""Cargo tracking: accurate, timely cargo status and arrival times for customers and staff.

- events.py: the rules for recording a cargo event, whoever reports it (an import file, the chat's /event):
  what names a shipment and a container, idempotency, and which events are new.
- cargo_state.py: a shipment's state derived from all its events, so the order they arrive in does not matter.
- pushes.py: new events pushed to the contacts who subscribed to their shipment, in each one's language.
- shipments.py: finding a shipment by B/L, booking or container number within the user's own company.
- status_cards.py: what a shipment's status card shows.
- feed_events.py: terminal and carrier events from the feeds (DCSA, EDIFACT), the one door they come in by:
  received once, matched (feed_matching.py), kept until their shipment comes, estimates (vessel_times.py).
- release.py: "can I pick up?" per box; pickup_alerts.py: the push the moment a box becomes available.
- free_time/: free time, the Last Free Day, demurrage and detention, and the warnings before the LFD (see its
  __init__.py).
"""
