"""Offline runtime of Task Creator; never shipped in the Lambda asset."""
