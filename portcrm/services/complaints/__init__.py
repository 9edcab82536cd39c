"""Complaints (客户投诉与处理): from intake to the customer's rating, with root cause and corrective action.

- intake.py: the draft's rules, its shipment, and submission as one idempotent call.
- flow.py: the status transitions (acknowledge, investigate, ask, propose, accept/reject, resolve, close).
- desk.py: who may act (department, assignee, market, managers), the queue, assignment, notes, and the
  verification revisit booked at close.
- sla.py: the SLA clocks (acknowledge in 4 working hours, resolve in 5 working days) and their pauses
  while the customer has the next move.
- notices.py: the pushes to the customer and staff, in each recipient's language.
"""
