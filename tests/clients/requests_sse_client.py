"""requests-sse's EventSource, as its README shows it (see driver.py for the command line and the
output). The id printed is MessageEvent.last_event_id."""

import requests
from requests_sse import EventSource

import driver


def read(args, run):
    # No reconnect attempts on a failed connect (an error is a result here); no read timeout: a
    # quiet stream is normal, and the driver's own deadline bounds the run.
    session = requests.Session()
    session.trust_env = False  # loopback only, whatever proxy the environment names
    with EventSource(args.url, latest_event_id=args.last_event_id, max_connect_retry=0, timeout=None,
                     session=session) as source:
        for event in source:
            if not run.event(event.type, event.data, event.last_event_id):
                return


if __name__ == "__main__":
    driver.main(__doc__, read)
