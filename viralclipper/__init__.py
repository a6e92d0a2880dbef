"""Viral Clipper: turn long videos into short, ready-to-post clips."""
