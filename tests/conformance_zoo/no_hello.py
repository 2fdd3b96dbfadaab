"""Zoo fault: the adapter reads its requests but never answers (not even hello).

The runner must give up after its start-up timeout: every case is ``error``,
exit status 1.
"""

import sys

if __name__ == "__main__":
    for _line in sys.stdin.buffer:  # read, never answer
        pass
