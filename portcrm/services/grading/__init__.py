"""Customer grading (客户分级, 动态管理): A, B and C re-evaluated on a schedule.

- facts.py: what a customer's last twelve months were (volume, revenue, lateness, years), in words.
- scores.py: the weights (from settings, normalised), the 0-100 score, the grade thresholds, and the
  proposals a manager approves or rejects. The monthly run is `portcrm/jobs/grading.py`.
"""
