"""Every message in or out of pohub, kept with its raw bytes, state and error (issue 8)."""
