"""What users see: every text, keyboard and screen the handlers send, built from plain values.

- texts.py: labels of the core's vocabulary and the rendering of domain errors.
- keyboards/: keyboard builders, one module per feature.
- views/: screens too large for their handler (cards, lists).
- callbacks/: callback data classes, one module per feature, each with its own prefix.
- menus.py: the command menu each audience sees; button_replies.py: what a pressed button does to its message.
- documents.py: files the bot sends (a workbook, rendered off the event loop).
"""
