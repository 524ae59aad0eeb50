"""Between meetings: reminders, check-ins, nudges and async phase deadlines, exactly once.

`Planner` turns meetings and commitments into `DueItem` rows (idempotent by key); `Dispatcher`
claims the rows that are due, renders and sends them through the workspace's port and records
the outcome; `Scheduler` wakes the dispatcher with APScheduler. Platform-neutral, like all of core.
"""
