// Node's `eventsource` package (Debian's node-eventsource; NODE_PATH=/usr/share/nodejs) on a URL,
// with the output of the Python drivers (driver.py): one JSON line per event it dispatches,
// {"type", "data", "id"} with the id its MessageEvent reports (lastEventId), then {"end": ...}.
// Like a page, it hears only the types it listens to: --types (comma-separated) and "message".
//
//   node eventsource_client.js URL [--last-event-id ID] [--types a,b] [--stop TYPE] [--timeout S]

const EventSource = require('eventsource');

function parse(argv) {
  const args = { url: null, lastEventId: null, types: [], stop: 'client-stop', timeout: 10 };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--last-event-id': args.lastEventId = value; i++; break;
      case '--types': args.types = value.split(',').filter(Boolean); i++; break;
      case '--stop': args.stop = value; i++; break;
      case '--timeout': args.timeout = Number(value); i++; break;
      default: args.url = argv[i];
    }
  }
  return args;
}

function emit(line) {
  process.stdout.write(JSON.stringify(line) + '\n');
}

const args = parse(process.argv.slice(2));
const init = args.lastEventId === null ? {} : { headers: { 'Last-Event-ID': args.lastEventId } };
const source = new EventSource(args.url, init);

function finish(line, code) {
  emit(line);
  source.close();
  // Exit once stdout is written (a pipe may be asynchronous).
  process.stdout.write('', () => process.exit(code));
}

setTimeout(() => finish({ end: 'timeout' }, 3), args.timeout * 1000);

// An error is a reconnect under way or a refusal: either way not what a test expects.
source.onerror = (e) => finish({ end: 'error', error: String(e.message || e.status || 'error') }, 2);

source.addEventListener(args.stop, () => finish({ end: 'stop' }, 0));
for (const type of new Set(['message', ...args.types])) {
  if (type === args.stop) continue;
  source.addEventListener(type, (e) => emit({ type: e.type, data: e.data, id: e.lastEventId }));
}
