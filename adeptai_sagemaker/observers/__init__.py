"""Observers told of every call: metrics, OpenTelemetry spans and the migration evidence."""
