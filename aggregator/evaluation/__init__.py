"""Measuring grouping: labelled data sets replayed through the real normalizer and grouper."""
