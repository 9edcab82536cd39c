"""EDIFACT terminal reports (CODECO gate moves, COARRI discharge and load, IFTSTA status) into feed events.

Which rule lives where:
- text.py: bytes to text (binary refused, the UNB's character set) and to segments with line and column.
- reader.py: pydifact reads each segment, the UNB (sender, control reference) and the envelope; a UNH
  without its UNT, or a UNT miscounting, breaks that message; a missing or wrong UNZ, the file.
- codes.py, default_codes.toml: which code means which event, per partner (PORTCRM_EDI_PARTNERS_FILE).
- values.py: every element read is checked (container check digit, dates in port time, B/L and booking
  numbers, the vessel's IMO); the surest time of an event (actual over estimate).
- events.py, messages.py, equipment.py (CODECO, COARRI), status.py (IFTSTA): messages to `FeedEvent`s;
  what is broken (its message is left out) and what is only noted (valid, not used): see problems.py.
- ingest.py: one file into the database in one transaction, deduplicated by sender and control reference.
- report.py, quarantine.py: the report of a quarantined file; moving files to done/ or quarantine/.
- dropfolder.py: the watched drop folder (the SFTP-drop pattern), complete files only, crash-safe.
"""
