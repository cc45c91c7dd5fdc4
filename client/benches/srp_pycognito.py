"""Times pycognito's client share of an SRP sign-in, for the `srp` bench.

Argument: a JSON object {"runs", "pool_id", "user_id", "password", "salt",
"srp_b", "secret_block"}. Prints {"median_ms", "mean_ms"}: a fresh AWSSRP
(its private value and A) plus the password claim, per sign-in.
"""

import json
import statistics
import sys
import time

from pycognito import aws_srp


def main():
    case = json.loads(sys.argv[1])
    challenge = {
        "USER_ID_FOR_SRP": case["user_id"],
        "SALT": case["salt"],
        "SRP_B": case["srp_b"],
        "SECRET_BLOCK": case["secret_block"],
    }
    times = []
    for _ in range(case["runs"]):
        started = time.perf_counter()
        srp = aws_srp.AWSSRP(
            username=case["user_id"],
            password=case["password"],
            pool_id=case["pool_id"],
            client_id="client",
            client=object(),
        )
        srp.get_auth_params()
        srp.process_challenge(challenge, {"USERNAME": case["user_id"]})
        times.append((time.perf_counter() - started) * 1000.0)
    print(json.dumps({"median_ms": statistics.median(times), "mean_ms": statistics.mean(times)}))


if __name__ == "__main__":
    main()
