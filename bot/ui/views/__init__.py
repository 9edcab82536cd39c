"""Texts of screens and forms (prompts, summaries, cards, lists) as HTML, from plain values.

Their buttons are built in bot/ui/keyboards/; a handler sends the two together.
"""
