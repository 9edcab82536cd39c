"""Rendering of screens too large for their handler module: message text and keyboards from plain values."""
