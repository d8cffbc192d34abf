"""Default tiers and the demo-data generator."""
