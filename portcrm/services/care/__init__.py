"""Relationship care (客户关系维护): contact logged, revisits due, satisfaction measured, questions answered.

- visits.py: what a valid visit is (method, contact, notes, next revisit).
- revisits.py: which customers are due a revisit (定期回访): the cadence by grade and the overdue count.
- surveys.py: SERVQUAL surveys, their answers and the gaps.
- inquiries.py: a customer's question to their account manager and the relayed answer.
- greetings.py: who is greeted on a day and with what: festivals (the port calendar's, never Qingming),
  birthdays, cooperation anniversaries. The morning job is portcrm/jobs/greetings.py.
"""
