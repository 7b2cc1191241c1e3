"""Moving envelopes between the receiver and the processors: the RabbitMQ adapter
(topology, confirmed publisher, partition source), the embedded SQLite queue (also the
spool) and the publisher that falls back to the spool and forwards from it."""
