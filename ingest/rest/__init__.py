"""The WooCommerce REST API: the client and its errors, the history import, reconciliation
and webhook installation."""
