"""Child process of the broker-outage test: `python -m tests.concurrency.make_requests SHOP
PREFIX N` urges N new orders of SHOP through the services (each writes a buyer message and
asks for its delivery after commit, as a web request would) and prints one JSON line: how
many succeeded and the slowest call, in seconds."""

import json
import sys
import time

import django


def main(shop: str, prefix: str, count: int):
    django.setup()
    from django.utils import timezone

    from tickets import services

    done, slowest = 0, 0.0
    for i in range(count):
        started = time.monotonic()
        order, _ = services.order_upsert(
            order_no=f"{prefix}-{i}",
            shop_code=shop,
            buyer_username=f"{prefix}-buyer",
            amount="88.00",
            is_fresh=False,
            paid_at=timezone.now(),
        )
        services.ticket_urge(buyer=order.buyer, order_no=order.order_no)
        slowest = max(slowest, time.monotonic() - started)
        done += 1
    print(json.dumps({"done": done, "slowest": slowest}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
