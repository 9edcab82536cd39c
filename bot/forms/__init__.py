"""Conversations that fill in a record step by step: their states and draft data."""
