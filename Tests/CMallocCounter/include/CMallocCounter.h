#ifndef C_MALLOC_COUNTER_H
#define C_MALLOC_COUNTER_H

#include <stdint.h>

// Test support: counts heap allocations (malloc, calloc, realloc, memalign, posix_memalign,
// aligned_alloc, valloc, pvalloc) made while counting is on. This target defines those symbols in
// the test executable, so the dynamic linker binds every library's calls to them; each forwards to
// glibc's __libc_* entry points (no dlsym, so no recursion). No logic beyond counting.

/// Starts counting the calling thread's allocations (from zero).
void counter_begin(void);
/// Stops counting on the calling thread; returns how many allocations it made since counter_begin.
uint64_t counter_end(void);

/// Adds the Dispatch queue the calling thread is running to the watched queues (at most 8; call it
/// from a work item on that queue, watchers are serialised by the caller). 0 if it could not.
int counter_watch_current_queue(void);
/// Starts counting allocations made on any thread while it runs a watched queue, and on the data
/// plane's crypto worker threads (named `swvpnd-cw-*`). 0 if no queue is watched.
int counter_begin_queues(void);
/// Stops queue counting and forgets the watched queues; returns how many allocations they made.
uint64_t counter_end_queues(void);

/// 1 once any allocation in the process went through this interposer (counting or not); 0 means the
/// interposition did not take effect and every count above would be a vacuous 0.
int counter_interposed(void);

#endif
