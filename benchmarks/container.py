"""One Lambda function container, for the cold sign-in benchmark (``benchmarks/cold_sign_in.py``).

``python -S -B -P container.py PATH HANDLER_MODULE``: puts PATH (the asset first, as
``/var/task``, then the packages the runtime ships) on ``sys.path``, imports the handler as
the runtime's init does, says ``ready``, then serves one invocation per line of stdin (an
event as JSON) with one line of JSON out: ``{"response": ...}`` or ``{"error": type}``. An empty
line ends it, with a last line naming the AWS services the container made clients of. The
functions' own log lines go to /dev/null, as they would go to the runtime, not to this protocol.

Standard library only, and nothing of the benchmark: the container holds what a Lambda holds.
"""

import sys

sys.path[0:0] = sys.argv[1].split(":")

import importlib  # noqa: E402 - after the path, as the runtime imports after setting it
import json  # noqa: E402
import os  # noqa: E402

protocol = os.fdopen(os.dup(1), "w")
sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the life of the container
handler = importlib.import_module(sys.argv[2]).handler


def say(message: object) -> None:
    protocol.write(json.dumps(message) + "\n")
    protocol.flush()


say("ready")
for line in sys.stdin:
    if not line.strip():
        break
    try:
        say({"response": handler(json.loads(line), None)})
    except Exception as error:  # noqa: BLE001 - Cognito sees an error; so does the benchmark
        say({"error": type(error).__name__})
aws = sys.modules.get("shared.aws")
say({"services": aws.services() if aws else []})
os._exit(0)
