"""The WooCommerce webhook receiver: the app factory, the blueprint, signature check,
strict JSON and parsing, and the cached shop directory. It publishes through the
``Publisher`` port; the adapters behind it live in ``ingest.messaging``."""
