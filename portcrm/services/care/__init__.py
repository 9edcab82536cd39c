"""Relationship care (客户关系维护): contact logged, revisits due, satisfaction measured, questions answered.

- visits.py: what a valid visit is (method, contact, notes, next revisit).
- revisits.py: which customers are due a revisit (定期回访): the cadence by grade and the overdue count.
- surveys.py: SERVQUAL surveys, their answers and the gaps.
- inquiries.py: a customer's question to their account manager and the relayed answer.
Festival and birthday greetings: `portcrm/jobs/greetings.py`, on the port calendar (`portcrm/calendar.py`).
"""
