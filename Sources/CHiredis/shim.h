// Umbrella header for hiredis (0.14 on Debian 12): its reply reader and command formatter only;
// RedisClient does its own IO on LibeventIO.
#include <hiredis/hiredis.h>
