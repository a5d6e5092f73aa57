"""Constraint families of the allocation model, one small builder per family, grouped by stage."""
