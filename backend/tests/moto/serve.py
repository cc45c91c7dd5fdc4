"""moto's server, answering one thing as Cognito does.

moto sends a challenge's MFAS_CAN_SETUP as a JSON list; Cognito sends every
challenge parameter as a string (here '["SOFTWARE_TOKEN_MFA"]'), and the AWS
SDK refuses anything else. Arguments are moto.server's own.
"""

import json
import sys

from moto.cognitoidp.models import CognitoIdpBackend
from moto.server import main


def as_cognito(method):
    def answer(self, *args, **kwargs):
        result = method(self, *args, **kwargs)
        parameters = result.get("ChallengeParameters") if isinstance(result, dict) else None
        for key, value in (parameters or {}).items():
            if not isinstance(value, str):
                parameters[key] = json.dumps(value)
        return result

    return answer


for name in ("initiate_auth", "respond_to_auth_challenge"):
    setattr(CognitoIdpBackend, name, as_cognito(getattr(CognitoIdpBackend, name)))

sys.exit(main())
