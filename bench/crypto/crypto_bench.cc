// Throughput of the key layer's hot paths on one core, printed beside the
// figures `openssl speed` reports for the same primitive and input size on the
// same machine in the same run: the physical limit Warden's record sealing
// and blind indexing can approach.
//
// Usage: crypto_bench [--seconds S] [--threads T]
//   --seconds  time per measurement (default 1)
//   --threads  also run seal+open on T threads and report the total
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "crypto/key_ring.h"
#include "crypto/primitives.h"

namespace {

using warden::AsBytes;
using warden::SecretBytes;
using warden::crypto::KeyRing;

double g_seconds = 1.0;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Runs `op` in batches for g_seconds of this thread's CPU time and returns
// operations per CPU second, the unit `openssl speed` reports, so that other
// load on the machine does not skew the comparison.
template <typename Op>
double Rate(Op op) {
  constexpr int kBatch = 256;
  const double start = ThreadCpuSeconds();
  double now = start;
  long count = 0;
  while (now - start < g_seconds) {
    for (int i = 0; i < kBatch; ++i) op(i);
    count += kBatch;
    now = ThreadCpuSeconds();
  }
  return static_cast<double>(count) / (now - start);
}

// Operations/s (per CPU second) from `openssl speed -mr`, or 0 if unavailable.
double OpensslSpeed(const std::string& what, size_t bytes) {
  const std::string cmd = "openssl speed -mr " + what + " -bytes " + std::to_string(bytes) +
                          " -seconds " + std::to_string(std::max(1, static_cast<int>(g_seconds))) +
                          " 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return 0;
  char line[512];
  double bytes_per_second = 0;
  while (std::fgets(line, sizeof(line), pipe) != nullptr) {
    if (std::strncmp(line, "+F:", 3) != 0) continue;
    const char* last = std::strrchr(line, ':');
    if (last != nullptr) bytes_per_second = std::atof(last + 1);
  }
  pclose(pipe);
  return bytes_per_second / static_cast<double>(bytes);
}

std::string Synthetic(size_t size) {
  std::string s;
  const char* filler = R"({"name":"Synthetic Person","phone":"+8613800000000","address":"X"})";
  while (s.size() < size) s += filler;
  s.resize(size);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) g_seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
  }
  auto created = KeyRing::Create(SecretBytes::Random(warden::crypto::kRootKeySize));
  if (!created.ok() || !(*created)->AddCollection("persons").ok()) {
    std::fprintf(stderr, "cannot create a key ring\n");
    return 1;
  }
  const KeyRing& ring = **created;
  const std::string record_key = "110101199003074514";
  const std::string field_set = "identity,contact";

  std::printf("Warden key layer: operations per CPU second of one thread (%.1f s each)\n\n",
              g_seconds);
  std::printf("%-7s %14s %14s %14s %18s %9s\n", "bytes", "seals/s", "opens/s", "raw GCM/s",
              "openssl speed/s", "seal/ossl");
  for (size_t size : {64, 256, 1024, 4096}) {
    const std::string plaintext = Synthetic(size);
    std::string sealed = *ring.SealRecord("persons", record_key, field_set, AsBytes(plaintext));
    double seals = Rate([&](int) {
      auto s = ring.SealRecord("persons", record_key, field_set, AsBytes(plaintext));
      if (!s.ok()) std::abort();
    });
    double opens = Rate([&](int) {
      auto o = ring.OpenRecord("persons", record_key, field_set, sealed);
      if (!o.ok()) std::abort();
    });
    SecretBytes key = SecretBytes::Random(32);
    std::string nonce(12, '\1');
    std::string out(size + 16, '\0');
    double raw = Rate([&](int) {
      auto st = warden::crypto::Aes256GcmSealInto(
          key, AsBytes(nonce), AsBytes(plaintext), AsBytes(record_key),
          {reinterpret_cast<uint8_t*>(out.data()), out.size()});
      if (!st.ok()) std::abort();
    });
    double ossl = OpensslSpeed("-evp aes-256-gcm", size);
    std::printf("%-7zu %14.0f %14.0f %14.0f %18.0f %8.0f%%\n", size, seals, opens, raw, ossl,
                ossl > 0 ? 100.0 * seals / ossl : 0.0);
  }

  std::printf("\n%-7s %14s %14s %18s %9s\n", "term", "indexes/s", "raw HMAC/s", "openssl speed/s",
              "idx/ossl");
  for (size_t size : {13, 18, 32}) {  // E.164 phone, national ID, name + birth date
    const std::string term = Synthetic(size);
    double indexes = Rate([&](int) {
      auto b = ring.BlindIndex("persons", "phone", term);
      if (!b.ok()) std::abort();
    });
    SecretBytes key = SecretBytes::Random(32);
    warden::crypto::HmacSha256Key prepared(key);
    double raw = Rate([&](int) { (void)prepared.Compute(AsBytes(term)); });
    double ossl = OpensslSpeed("-hmac sha256", size);
    std::printf("%-7zu %14.0f %14.0f %18.0f %8.0f%%\n", size, indexes, raw, ossl,
                ossl > 0 ? 100.0 * indexes / ossl : 0.0);
  }

  if (threads > 1) {
    const std::string plaintext = Synthetic(256);
    std::vector<std::thread> pool;
    std::vector<double> rates(static_cast<size_t>(threads));
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        rates[static_cast<size_t>(t)] = Rate([&](int) {
          auto s = ring.SealRecord("persons", record_key, field_set, AsBytes(plaintext));
          if (!s.ok() || !ring.OpenRecord("persons", record_key, field_set, *s).ok()) std::abort();
        });
      });
    }
    double total = 0;
    for (auto& th : pool) th.join();
    for (double r : rates) total += r;
    std::printf("\n256-byte seal+open pairs on %d threads: %.0f per CPU second, summed\n", threads,
                total);
  }
  return 0;
}
