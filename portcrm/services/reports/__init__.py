"""The manager's report (/report).

- figures.py: five figures computed from the database as plain numbers.
- charts.py: the same figures as PNG charts and one workbook (slow: outside any transaction).
"""
