"""Personal information under PIPL (个人信息保护法).

- rights.py: what a linked person may see of their own data, their consents, and deletion requests.
- copy.py: a person's copy of their own data as a workbook (PIPL art. 45), bound to their own record.
- erasure.py: erasing a person's data: the one place that knows where it lives.
- traces.py: a person's traces outside their own record (free text, raw updates), found for erasure.
"""
