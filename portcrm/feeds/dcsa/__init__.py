"""DCSA Track & Trace 2.2: carriers and terminals POST signed JSON arrays of events to PortCRM.

- models.py: the part of the 2.2 event schema PortCRM reads (pydantic), and why it is written by hand.
- batch.py: a posted body checked event by event: the good ones translated, each bad one named with its field.
- mapping.py: which DCSA event becomes which cargo event (the mapping table), and which are received unused.
- signature.py: `Notification-Signature: sha256=<hex>`, the HMAC of the raw body with the shared secret.
- subscriptions.py: who may post (the Subscription-ID and its secret); adding, listing, rotating, removing.
- receiver.py: the aiohttp endpoint (`EVENTS_PATH`) and the small server polling mode runs it on.

Standard: `tnt/v2/TNT_v2.2.0.yaml` in dcsaorg/DCSA-OpenAPI (EVENT_DOMAIN 1.0.4, inlined in that
repository's `tnt/v2/test/tnt_v2.2.0.yaml`, vendored under tests/feeds/dcsa/spec/ with its licence).
"""
