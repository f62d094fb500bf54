#define _GNU_SOURCE
#include "CMallocCounter.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

// Initial-exec TLS in the executable: reading it never allocates, so no recursion.
static __thread int counting;
static __thread uint64_t thread_count;

static atomic_int interposed;

enum { max_watched = 8 };
static atomic_int queues_on;
static const char *watched[max_watched];  // labels (pointers, not text) of the watched queues
static atomic_int watched_count;
static const char *(*queue_label)(void *);  // dispatch_queue_get_label, resolved outside malloc
static atomic_uint_fast64_t queue_count;

// The data plane's crypto worker threads are plain threads, not Dispatch queues: they are counted
// with the watched queues by their name (`swvpnd-cw-tx1`, `swvpnd-cw-rx1`, ...; PR_GET_NAME is a
// syscall that does not allocate).
static inline int is_crypto_worker(void) {
    char name[17] = {0};
    if (prctl(PR_GET_NAME, name) != 0) return 0;
    return strncmp(name, "swvpnd-cw-", 10) == 0;
}

static inline void note(void) {
    if (!atomic_load_explicit(&interposed, memory_order_relaxed)) atomic_store_explicit(&interposed, 1, memory_order_relaxed);
    if (counting) thread_count++;
    if (atomic_load_explicit(&queues_on, memory_order_acquire)) {
        // NULL is DISPATCH_CURRENT_QUEUE_LABEL: the label of the queue this thread is draining. Each
        // queue keeps its own copy of its label, so the pointer identifies the queue.
        const char *label = queue_label(NULL);
        int n = atomic_load_explicit(&watched_count, memory_order_acquire);
        for (int i = 0; i < n; i++)
            if (label == watched[i]) atomic_fetch_add_explicit(&queue_count, 1, memory_order_relaxed);
        if (is_crypto_worker()) atomic_fetch_add_explicit(&queue_count, 1, memory_order_relaxed);
    }
}

// Under AddressSanitizer or ThreadSanitizer the sanitizer owns malloc: replacing it here would hand the
// sanitizer memory it never allocated. The counter is then dead (counter_interposed() stays 0) and
// scripts/sanitizers.sh skips the allocation suites, which the normal test run covers.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SWVPN_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SWVPN_SANITIZED 1
#endif

#ifndef SWVPN_SANITIZED
void *malloc(size_t size) {
    note();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    note();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    note();
    return __libc_realloc(pointer, size);
}

void *memalign(size_t alignment, size_t size) {
    note();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    note();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    note();
    if (alignment == 0 || alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}

void *valloc(size_t size) {
    note();
    return __libc_valloc(size);
}

void *pvalloc(size_t size) {
    note();
    return __libc_pvalloc(size);
}
#endif  // SWVPN_SANITIZED

void counter_begin(void) {
    thread_count = 0;
    counting = 1;
}

uint64_t counter_end(void) {
    counting = 0;
    return thread_count;
}

int counter_watch_current_queue(void) {
    if (queue_label == NULL)
        queue_label = (const char *(*)(void *))dlsym(RTLD_DEFAULT, "dispatch_queue_get_label");
    if (queue_label == NULL) return 0;
    const char *label = queue_label(NULL);
    int n = atomic_load_explicit(&watched_count, memory_order_acquire);
    for (int i = 0; i < n; i++)
        if (watched[i] == label) return 1;
    if (n == max_watched || label == NULL) return 0;
    watched[n] = label;
    atomic_store_explicit(&watched_count, n + 1, memory_order_release);
    return 1;
}

int counter_begin_queues(void) {
    if (atomic_load_explicit(&watched_count, memory_order_acquire) == 0) return 0;
    atomic_store_explicit(&queue_count, 0, memory_order_relaxed);
    atomic_store_explicit(&queues_on, 1, memory_order_release);
    return 1;
}

uint64_t counter_end_queues(void) {
    atomic_store_explicit(&queues_on, 0, memory_order_release);
    atomic_store_explicit(&watched_count, 0, memory_order_release);
    return atomic_load_explicit(&queue_count, memory_order_relaxed);
}

int counter_interposed(void) {
    return atomic_load_explicit(&interposed, memory_order_relaxed);
}
