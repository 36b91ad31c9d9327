"""Worker process of ``rewards.pool``: reads JSON tasks ``{"gold", "answer"}`` on stdin, one per line, and answers
``{"correct", "reason"}`` on stdout, one per line. It prints ``{"ready": true}`` once its imports are done.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    from rewards.symbolic import judge, warm_up

    warm_up()
    out = sys.stdout.buffer
    out.write(b'{"ready": true}\n')
    out.flush()
    for line in sys.stdin.buffer:
        task = json.loads(line)
        outcome = judge(task["gold"], task["answer"])
        out.write(json.dumps({"correct": bool(outcome.correct), "reason": outcome.reason}).encode() + b"\n")
        out.flush()


if __name__ == "__main__":
    main()
