"""The execution engine: the executions table as a durable queue, workers that run it, cancel and wait."""
