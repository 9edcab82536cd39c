"""Keyboard builders, one module per feature: functions of plain values that return markup."""
