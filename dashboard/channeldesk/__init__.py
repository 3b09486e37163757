"""The channels pages' parts: what they read from the store, the words for a channel's health,
the quarantine's payloads shown masked, and the add-channel form."""
