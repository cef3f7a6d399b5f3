"""Task Creator: events from upstream systems -> Amazon Connect tasks (StartTaskContact)."""
