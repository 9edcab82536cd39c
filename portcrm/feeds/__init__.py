"""Adapters for the terminals' and carriers' feeds: they translate what arrives and call tracking services.

Each adapter turns its format into `portcrm.services.tracking.feed_events.FeedEvent`s and hands them to
`ingest_feed_events`, which owns every rule about cargo events (idempotency, order, matching, pushes); an
adapter only reads, checks and translates, and answers its sender. No service imports an adapter.

dcsa/     DCSA Track & Trace 2.2: the signed HTTP callback endpoint and its subscriptions
edifact/  UN/EDIFACT CODECO, COARRI and IFTSTA files: `portcrm edi ingest` and the watched drop folder
"""
