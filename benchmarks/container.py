"""One Lambda function container, for the cold sign-in benchmark (``benchmarks/cold_sign_in.py``).

``python -S -B -P container.py PATH HANDLER_MODULE``: puts PATH (the asset first, as
``/var/task``, then the packages the runtime ships) on ``sys.path``, imports the handler as
the runtime's init does, says ``{"ready": true, "cpu_ms": ..., "network_ms": ...}`` (the CPU time
of the whole init, interpreter start included, and the time its sockets blocked: the init's waits
on AWS, apart from the wait for a core of this shared machine), then serves one invocation per
line of stdin (an event as JSON) with one line of JSON out: ``{"response": ...}`` or
``{"error": type}``, each with the invocation's ``cpu_ms`` and ``wall_ms``. An empty line ends it,
with a last line naming the AWS services the container made clients of. The functions' own log
lines go to /dev/null, as they would go to the runtime, not to this protocol.
``node-reference/container.mjs`` speaks the same.

Standard library only, and nothing of the benchmark but the socket timer: the container holds
what a Lambda holds.
"""

import sys

sys.path[0:0] = sys.argv[1].split(":")

import importlib  # noqa: E402 - after the path, as the runtime imports after setting it
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402

_blocked_s = [0.0]


def _timed(method):  # type: ignore[no-untyped-def]
    def blocking(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            _blocked_s[0] += time.perf_counter() - start

    return blocking


for _name in ("connect", "recv", "recv_into", "send", "sendall"):
    # untyped on purpose: the container imports nothing (typing included) that a Lambda would not
    setattr(socket.socket, _name, _timed(getattr(socket.socket, _name)))  # type: ignore[no-untyped-call]

protocol = os.fdopen(os.dup(1), "w")
sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the life of the container
handler = importlib.import_module(sys.argv[2]).handler


def say(message: object) -> None:
    protocol.write(json.dumps(message) + "\n")
    protocol.flush()


def cpu_ms() -> float:
    return time.process_time() * 1000


say({"ready": True, "cpu_ms": cpu_ms(), "network_ms": _blocked_s[0] * 1000})
for line in sys.stdin:
    if not line.strip():
        break
    cpu, wall = cpu_ms(), time.perf_counter()
    try:
        answer = {"response": handler(json.loads(line), None)}
    except Exception as error:  # noqa: BLE001 - Cognito sees an error; so does the benchmark
        answer = {"error": type(error).__name__}
    say({**answer, "cpu_ms": cpu_ms() - cpu, "wall_ms": (time.perf_counter() - wall) * 1000})
aws = sys.modules.get("shared.aws")
say({"services": aws.services() if aws else []})
os._exit(0)
