"""Customer development (客户开发): prospects and what the market department sends to segments.

- leads.py: a lead's stages and its conversion into a customer with a cooperation agreement.
- broadcasts.py: who may receive a marketing broadcast (consent, segment) and its enqueueing.
"""
