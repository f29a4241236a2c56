"""The plugin contract: hook specifications, the plugin manager, task specs and the call records plugins see."""
