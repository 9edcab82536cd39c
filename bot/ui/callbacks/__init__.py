"""Callback data classes, one module per feature, each class with its own short prefix.

Button payloads are user input (a client can send any bytes): handlers re-check every id they carry
against the user's own data, and an unknown or stale payload changes nothing.
"""
