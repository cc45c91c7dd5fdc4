"""Answers SRP cases with pycognito's aws_srp, one JSON object per line.

Reads cases from stdin: {"a", "pool_id", "user_id", "password", "salt",
"srp_b", "secret_block", "timestamp", "unix", "client_id", "client_secret",
"group_key", "device_key", "device_password_bytes", "device_salt"} and
writes {"srp_a", "signature", "timestamp", "secret_hash", "device_signature",
"device_timestamp", "device_password", "device_verifier", "device_salt_b64"}
for each: the player's sign-in, the same challenge answered as a remembered
device, and the verifier `ConfirmDevice` takes for a new device.
"""

import datetime
import json
import os
import sys
import types

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

        # The device's answer reads the clock itself: give it the case's.
        class Clock(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return when.replace(tzinfo=None)

        aws_srp.datetime = types.SimpleNamespace(datetime=Clock, timezone=datetime.timezone)
        srp.device_group_key = case["group_key"]
        srp.device_key = case["device_key"]
        srp.device_password = "unused"
        random = {
            40: bytes.fromhex(case["device_password_bytes"]),
            16: bytes.fromhex(case["device_salt"]),
        }
        urandom, os.urandom = os.urandom, lambda n: random[n]
        try:
            device_password, config = aws_srp.generate_hash_device(
                case["group_key"], case["device_key"]
            )
        finally:
            os.urandom = urandom
        srp.device_password = device_password
        device = srp.process_device_challenge(
            {
                "USERNAME": case["user_id"],
                "SALT": case["salt"],
                "SRP_B": case["srp_b"],
                "SECRET_BLOCK": case["secret_block"],
            }
        )
        aws_srp.datetime = datetime
        print(
            json.dumps(
                {
                    "srp_a": srp.get_auth_params()["SRP_A"],
                    "signature": answer["PASSWORD_CLAIM_SIGNATURE"],
                    "timestamp": format_timestamp(when),
                    "secret_hash": aws_srp.AWSSRP.get_secret_hash(
                        case["user_id"], case["client_id"], case["client_secret"]
                    ),
                    "device_signature": device["PASSWORD_CLAIM_SIGNATURE"],
                    "device_timestamp": device["TIMESTAMP"],
                    "device_password": device_password,
                    "device_verifier": config["PasswordVerifier"],
                    "device_salt_b64": config["Salt"],
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
