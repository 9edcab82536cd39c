"""The demo port behind `portcrm demo`: personas to chat as, and a seed of realistic, current-looking data."""

from portcrm.demo.personas import DEMO_PERSONAS, DemoPersona
from portcrm.demo.seed import DemoSummary, seed_demo

__all__ = ["DEMO_PERSONAS", "DemoPersona", "DemoSummary", "seed_demo"]
