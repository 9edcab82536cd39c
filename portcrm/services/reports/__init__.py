"""The manager's report (/report).

- figures.py: five figures computed from the database as plain numbers.
- charts.py: the same figures as PNG charts in the reader's language (slow: outside any transaction);
  fonts.py: the CJK font they are drawn with; names.py: managers and currencies by name.
- workbook.py: the numbers behind the charts, one sheet per chart.
"""
