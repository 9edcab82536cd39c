"""Terminal and carrier feeds: the adapters live here (dcsa/, edifact/), translate what they receive into
`portcrm.services.tracking.feed_events.FeedEvent`s and call the tracking services; no service imports them."""
