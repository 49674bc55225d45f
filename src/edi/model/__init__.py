"""Typed transaction objects (plain dataclasses; money is Decimal, dates are date)."""
