"""Alert rules, deadline timers, grouping and the delivery outbox with its notifiers."""
