"""The demo simulator: a realistic year of a small shop as webhook deliveries, and the
sender that posts them the way WooCommerce does."""
