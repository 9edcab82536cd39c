"""What comes in and what goes out, written in the database first so that nothing is lost.

- inbox.py: received updates, written before they are handled, marked once handled, replayed after a crash.
- outbox.py: notifications written in the same transaction as their cause, delivered later by the sender.
"""
