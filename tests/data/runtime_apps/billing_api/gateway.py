from probe import record

_client: dict[str, object] = {}


async def close_payment_gateway() -> None:
    record("close_payment_gateway")
    _client.clear()


def warm_invoice_templates() -> None:
    record("warm_invoice_templates")
