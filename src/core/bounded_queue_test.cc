#include "core/bounded_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace warden {
namespace {

using std::chrono_literals::operator""ms;

TEST(BoundedQueueTest, ItemsComeOutInTheOrderTheyWentIn) {
  BoundedQueue<int> queue(4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(queue.Push(i));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(queue.Pop(), i);
}

TEST(BoundedQueueTest, PushWaitsWhileTheQueueIsFull) {
  BoundedQueue<int> queue(2);
  ASSERT_TRUE(queue.Push(1));
  ASSERT_TRUE(queue.Push(2));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    EXPECT_TRUE(queue.Push(3));
    pushed = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(pushed) << "a third item went into a queue of two";
  EXPECT_EQ(queue.Pop(), 1);
  producer.join();
  EXPECT_TRUE(pushed);
  EXPECT_EQ(queue.Pop(), 2);
  EXPECT_EQ(queue.Pop(), 3);
}

TEST(BoundedQueueTest, CloseLetsConsumersDrainThenEnds) {
  BoundedQueue<int> queue(4);
  ASSERT_TRUE(queue.Push(1));
  ASSERT_TRUE(queue.Push(2));
  queue.Close();
  EXPECT_FALSE(queue.Push(3));
  EXPECT_EQ(queue.Pop(), 1);
  EXPECT_EQ(queue.Pop(), 2);
  EXPECT_EQ(queue.Pop(), std::nullopt);
  EXPECT_EQ(queue.Pop(), std::nullopt);
}

TEST(BoundedQueueTest, CloseWakesAWaitingConsumer) {
  BoundedQueue<int> queue(1);
  std::optional<int> got = 0;
  std::thread consumer([&] { got = queue.Pop(); });
  std::this_thread::sleep_for(20ms);
  queue.Close();
  consumer.join();
  EXPECT_EQ(got, std::nullopt);
}

TEST(BoundedQueueTest, AbortDropsQueuedItemsAndWakesAWaitingProducer) {
  BoundedQueue<std::shared_ptr<int>> queue(1);
  auto item = std::make_shared<int>(7);
  ASSERT_TRUE(queue.Push(item));
  bool second = true;
  std::thread producer([&] { second = queue.Push(std::make_shared<int>(8)); });
  std::this_thread::sleep_for(20ms);
  queue.Abort();
  producer.join();
  EXPECT_FALSE(second);
  EXPECT_EQ(item.use_count(), 1) << "the queued copy was not dropped";
  EXPECT_EQ(queue.Pop(), std::nullopt);
}

TEST(BoundedQueueTest, ManyProducersAndConsumersLoseAndDuplicateNothing) {
  constexpr int kProducers = 4, kConsumers = 3, kEach = 5000;
  BoundedQueue<int> queue(8);
  std::vector<std::atomic<int>> seen(kProducers * kEach);
  std::vector<std::thread> producers, consumers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back([&] {
      while (std::optional<int> v = queue.Pop()) ++seen[static_cast<size_t>(*v)];
    });
  }
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kEach; ++i) ASSERT_TRUE(queue.Push(p * kEach + i));
    });
  }
  for (std::thread& t : producers) t.join();
  queue.Close();
  for (std::thread& t : consumers) t.join();
  for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], 1) << i;
}

}  // namespace
}  // namespace warden
