// Clang thread-safety annotations (-Wthread-safety): they state which mutex
// guards a member and which locks a function needs, and a clang build checks
// every access against them. Under other compilers they expand to nothing.
// The names follow Clang's documentation and Abseil's
// absl/base/thread_annotations.h.
#ifndef WARDEN_CORE_THREAD_ANNOTATIONS_H_
#define WARDEN_CORE_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define WARDEN_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define WARDEN_THREAD_ANNOTATION(x)
#endif

// On a type: it is a lock ("mutex").
#define CAPABILITY(x) WARDEN_THREAD_ANNOTATION(capability(x))
// On a type: an RAII object that holds a lock for its lifetime.
#define SCOPED_CAPABILITY WARDEN_THREAD_ANNOTATION(scoped_lockable)
// On a data member: read and written only with the lock held.
#define GUARDED_BY(x) WARDEN_THREAD_ANNOTATION(guarded_by(x))
// On a pointer member: the pointee is accessed only with the lock held.
#define PT_GUARDED_BY(x) WARDEN_THREAD_ANNOTATION(pt_guarded_by(x))
// On a function: the caller holds the lock (exclusively / at least shared).
#define REQUIRES(...) WARDEN_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) WARDEN_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
// On a function: the caller must not hold the lock (it takes it itself).
#define EXCLUDES(...) WARDEN_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// On a function: it takes / releases the lock.
#define ACQUIRE(...) WARDEN_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) WARDEN_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) WARDEN_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) WARDEN_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) WARDEN_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
// On a function: it returns a reference to the given lock.
#define RETURN_CAPABILITY(x) WARDEN_THREAD_ANNOTATION(lock_returned(x))
// On a function: the analysis does not look inside (say why beside it).
#define NO_THREAD_SAFETY_ANALYSIS WARDEN_THREAD_ANNOTATION(no_thread_safety_analysis)

#endif  // WARDEN_CORE_THREAD_ANNOTATIONS_H_
