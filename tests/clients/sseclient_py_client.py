"""sseclient-py over a streamed `requests` response, as its README shows it (see driver.py for the
command line and the output). sseclient-py keeps no last event id: the id printed is Event.id, the
`id` field of the event's own block (null when the block has none)."""

import requests
import sseclient

import driver


def read(args, run):
    headers = {"Accept": "text/event-stream"}
    if args.last_event_id is not None:
        headers["Last-Event-ID"] = args.last_event_id
    # No read timeout: a quiet stream is normal, and the driver's own deadline bounds the run.
    session = requests.Session()
    session.trust_env = False  # loopback only, whatever proxy the environment names
    response = session.get(args.url, stream=True, headers=headers, timeout=(5.0, None))
    response.raise_for_status()
    for event in sseclient.SSEClient(response).events():
        if not run.event(event.event, event.data, event.id):
            return


if __name__ == "__main__":
    driver.main(__doc__, read)
