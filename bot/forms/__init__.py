"""Conversations that fill in a record step by step: their states, draft data and keyboards."""
