// BoundedQueue: a first-in first-out queue of at most `capacity` items
// between the stages of a pipeline (producers Push, consumers Pop), so a fast
// stage waits for a slow one instead of filling memory.
//
// Close() ends the stream: producers' Push fails from then on, consumers Pop
// what is left and then get nullopt. Abort() also drops what is queued, for a
// pipeline stopping on an error. Both wake every waiting thread.
//
// Thread-safe: any number of producers and consumers.
#ifndef WARDEN_CORE_BOUNDED_QUEUE_H_
#define WARDEN_CORE_BOUNDED_QUEUE_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

#include "core/mutex.h"
#include "core/thread_annotations.h"

namespace warden {

template <typename T>
class BoundedQueue {
 public:
  // `capacity` of at least 1.
  explicit BoundedQueue(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  // Waits for room, then appends `item`. False (and `item` is dropped) once
  // the queue is closed or aborted.
  bool Push(T item) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    lock.Wait(not_full_, [&]() REQUIRES(mu_) { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  // Waits for an item and takes the oldest; nullopt once the queue is closed
  // and empty.
  std::optional<T> Pop() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    lock.Wait(not_empty_, [&]() REQUIRES(mu_) { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }

  // No more items: consumers drain what is queued.
  void Close() EXCLUDES(mu_) { Shut(/*drop=*/false); }
  // No more items, and those queued are dropped.
  void Abort() EXCLUDES(mu_) { Shut(/*drop=*/true); }

 private:
  void Shut(bool drop) EXCLUDES(mu_) {
    std::deque<T> dropped;  // destroyed outside the lock
    {
      MutexLock lock(mu_);
      closed_ = true;
      if (drop) dropped.swap(items_);
    }
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  const size_t capacity_;
  Mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<T> items_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
};

}  // namespace warden

#endif  // WARDEN_CORE_BOUNDED_QUEUE_H_
