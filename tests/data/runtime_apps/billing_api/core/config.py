import os

DATABASE_URL = os.environ.get("BILLING_DATABASE_URL", "sqlite:///./billing.db")
PAYMENT_GATEWAY = os.environ.get("BILLING_PAYMENT_GATEWAY", "stripe")
