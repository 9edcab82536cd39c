"""Conversations that fill in a record step by step: their states, and their drafts (drafts.py).

A form moves to a step only once the step's question was delivered (steps.py), and keeps each step's
question (questions.py). A command sent in the middle of a form pauses it, whole, until the user takes it
up again (paused.py; the edge that does it: bot/handlers/paused_forms.py); kinds.py names every form.
What a form shows is elsewhere: its texts in bot/ui/views/, its buttons in bot/ui/keyboards/.
"""
