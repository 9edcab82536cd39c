"""Free time (免费堆存期), the Last Free Day and what demurrage (滞港费) and detention (滞箱费) have accrued.

- equipment.py: a box's length and class of equipment, read from its ISO 6346 size-type code.
- tariff.py: the tariff as values (free days, basis and daily rate tiers per charge, direction and class of
  equipment; customers' agreements) and which line applies to a box.
- tariff_file.py: the tariff read from TOML: the built-in default_tariff.toml or PORTCRM_TARIFF_FILE.
- clocks.py: the counting rules: when free time starts and ends (the LFD) and what has accrued, per tier.
- milestones.py: which events start and stop each clock, by direction, and a container's clocks.
- facts.py: reading the boxes and events the clocks need, for a status card or for the alert job.
- alerts.py: the warnings 72 h and 24 h before a Last Free Day (the job is portcrm/jobs/free_time.py).
"""
