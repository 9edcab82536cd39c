"""Complaints (客户投诉与处理): from intake to the customer's rating, with root cause and corrective action.

- intake.py: the draft's rules, its shipment, and submission as one idempotent call.
- flow.py: the status transitions (acknowledge, investigate, ask, propose, accept/reject, resolve, close).
- cards.py: what a complaint shows (its card with its history, a company's list), to customer and staff.
- desk.py: who may act (department, assignee, market, managers) and the desk's steps: assignment, notes,
  closing with root cause and corrective action (the verification revisit it plans: `care.revisits`).
- queue.py: what the desk shows: each department's queue and a complaint's card, with their SLA state.
- sla.py: the SLA clocks (acknowledge in 4 working hours, resolve in 5 working days) and their pauses
  while the customer has the next move.
- notices.py: the pushes to the customer and staff, in each recipient's language.
- topics.py: the forum-topic desk: the attached staff supergroup, one topic per complaint (created once,
  under a claim), its title with the SLA left; every post there goes through the outbox.
- topic_news.py: status changes, the customer's answers and the rating, posted into the topic.
- relay.py: the topic and the customer both ways: staff replies (the one place that tells the customer),
  internal notes, the customer's messages and files.
"""
