"""Answers SRP cases with pycognito's aws_srp, one JSON object per line.

Reads cases from stdin: {"a", "pool_id", "user_id", "password", "salt",
"srp_b", "secret_block", "timestamp", "unix", "client_id", "client_secret"}
and writes {"srp_a", "signature", "timestamp", "secret_hash"} for each.
"""

import datetime
import json
import sys

from pycognito import aws_srp


def main():
    format_timestamp = aws_srp.AWSSRP.get_cognito_formatted_timestamp
    fixed = {}
    # The timestamp is the one input pycognito takes from the clock: fix it.
    aws_srp.AWSSRP.get_cognito_formatted_timestamp = staticmethod(lambda _now: fixed["timestamp"])
    for line in sys.stdin:
        case = json.loads(line)
        srp = aws_srp.AWSSRP(
            username=case["user_id"],
            password=case["password"],
            pool_id=case["pool_id"],
            client_id=case["client_id"],
            client=object(),
        )
        srp.small_a_value = int(case["a"], 16) % srp.big_n
        srp.large_a_value = srp.calculate_a()
        fixed["timestamp"] = case["timestamp"]
        answer = srp.process_challenge(
            {
                "USER_ID_FOR_SRP": case["user_id"],
                "SALT": case["salt"],
                "SRP_B": case["srp_b"],
                "SECRET_BLOCK": case["secret_block"],
            },
            {"USERNAME": case["user_id"]},
        )
        when = datetime.datetime.fromtimestamp(case["unix"], tz=datetime.timezone.utc)
        print(
            json.dumps(
                {
                    "srp_a": srp.get_auth_params()["SRP_A"],
                    "signature": answer["PASSWORD_CLAIM_SIGNATURE"],
                    "timestamp": format_timestamp(when),
                    "secret_hash": aws_srp.AWSSRP.get_secret_hash(
                        case["user_id"], case["client_id"], case["client_secret"]
                    ),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
