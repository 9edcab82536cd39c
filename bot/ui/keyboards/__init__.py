"""Keyboard builders: functions of plain values, so handlers stay one line per reply.

One module per feature, named as the feature's callback data in bot/ui/callbacks/ (admin, archive,
complaints, desk, find, invites, leads, privacy, reports, surveys, tracking, visits), plus language.py and
linking.py (the share-phone reply keyboard). A keyboard may take its labels from bot/ui/views/; views never
import keyboards.
"""
