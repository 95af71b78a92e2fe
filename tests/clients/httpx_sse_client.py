"""httpx-sse on an httpx.Client, as its README shows it (see driver.py for the command line and
the output). The id printed is ServerSentEvent.id, the last event id it keeps."""

import httpx
from httpx_sse import connect_sse

import driver


def read(args, run):
    headers = {} if args.last_event_id is None else {"Last-Event-ID": args.last_event_id}
    # No read timeout: a quiet stream is normal, and the driver's own deadline bounds the run.
    # trust_env=False: loopback only, whatever proxy the environment names.
    with httpx.Client(timeout=httpx.Timeout(5.0, read=None), trust_env=False) as client:
        with connect_sse(client, "GET", args.url, headers=headers) as source:
            source.response.raise_for_status()
            for sse in source.iter_sse():
                if not run.event(sse.event, sse.data, sse.id):
                    return


if __name__ == "__main__":
    driver.main(__doc__, read)
