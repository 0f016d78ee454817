"""Side-by-side CDP integrations: the demo shop's actions through a customer data platform's Braze kit."""
