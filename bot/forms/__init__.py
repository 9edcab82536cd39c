"""Conversations that fill in a record step by step: their states, and their drafts (drafts.py).

A form moves to a step only once the step's question was delivered (steps.py). What a form shows is
elsewhere: its texts in bot/ui/views/, its buttons in bot/ui/keyboards/.
"""
