// Umbrella header for libevent. The libc headers must come first: event2 headers use fd_set,
// sockaddr and friends without including them, and clean builds fail otherwise.
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <signal.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <malloc.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/util.h>

// A cache hint, for LibeventIO's `prefetch(_:bytes:)`: Swift has no intrinsic for it.
static inline void herald_prefetch(const void *address) { __builtin_prefetch(address); }
