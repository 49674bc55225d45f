"""Denial work queue: CARC/RARC categories, deadlines, corrected/void claims, appeals, write-offs."""
