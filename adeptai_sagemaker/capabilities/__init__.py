"""The eight built-in capabilities: their input/output schemas and their registration through the same hooks a plugin uses."""
