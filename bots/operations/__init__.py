"""What an operator watches: liveness and readiness (`health`), Prometheus metrics (`metrics`),
the HTTP routes that serve both (`server`) and the log format (`logs`).

Nothing here changes what the bot does: the service, scheduler and platform clients are observed
from outside (wrapped where they are assembled), so the workflow code never mentions metrics.
"""
