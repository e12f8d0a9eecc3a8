// Helpers for the end-to-end import tests: running the real `warden` binary,
// generated person files, and opening a data directory the way the server
// does to check what the import left in it.
#ifndef WARDEN_TESTS_IMPORT_IMPORT_TEST_UTIL_H_
#define WARDEN_TESTS_IMPORT_IMPORT_TEST_UTIL_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/clock.h"
#include "crypto/root_seal.h"
#include "node/data_dir.h"
#include "node/seal_gate.h"
#include "schema/generator.h"
#include "store/open_store.h"

namespace warden::import_test {

inline std::string WardenBinary() { return WARDEN_BINARY; }

// Records to use: WARDEN_TEST_SCALE times `n` (default 1, and 0.1 in a
// sanitizer build, which runs about ten times slower).
inline uint64_t Scaled(uint64_t n) {
  const char* scale = std::getenv("WARDEN_TEST_SCALE");
#if defined(__SANITIZE_ADDRESS__)
  if (scale == nullptr) scale = "0.1";
#endif
  if (scale == nullptr) return n;
  const double s = std::atof(scale);
  return s > 0 ? std::max<uint64_t>(1000, static_cast<uint64_t>(static_cast<double>(n) * s)) : n;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "warden-import-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void WriteAll(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Starts `warden args...` with stdout and stderr going to `log`.
inline pid_t StartWarden(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    std::vector<char*> argv;
    std::string bin = WardenBinary();
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

inline int WaitExit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

inline RunResult RunWarden(const std::vector<std::string>& args) {
  std::string log = std::filesystem::temp_directory_path() /
                    ("warden-import-run-" + std::to_string(getpid()) + ".log");
  RunResult r;
  r.exit_code = WaitExit(StartWarden(args, log));
  r.output = ReadAll(log);
  std::filesystem::remove(log);
  return r;
}

// `warden init` in development mode; the key file lives outside the data dir.
inline RunResult InitDevDataDir(const std::string& data_dir, const std::string& key_file,
                                const std::string& store_spec = "") {
  std::vector<std::string> args = {"init", "--data", data_dir, "--dev-key-file", key_file};
  if (!store_spec.empty()) {
    args.push_back("--store");
    args.push_back(store_spec);
  }
  return RunWarden(args);
}

// Writes persons 0..n-1 of `seed` as CSV and returns them.
inline std::vector<schema::PersonRecord> WritePersonsCsv(const std::string& path, uint64_t n,
                                                         uint64_t seed = 7) {
  schema::PersonGenerator gen(seed);
  std::vector<schema::PersonRecord> people(n);
  std::string text(schema::CsvHeaderOf("persons"));
  for (uint64_t i = 0; i < n; ++i) {
    gen.At(i, people[i]);
    people[i].AppendCsv(text);
  }
  WriteAll(path, text);
  return people;
}

// A data directory opened offline, as `warden import` does.
struct OpenDataDir {
  std::unique_ptr<Store> store;
  schema::Schema schema = schema::Schema::Registry();
  std::shared_ptr<node::UnsealedServices> services;

  static StatusOr<OpenDataDir> Open(const std::string& data_dir) {
    OpenDataDir d;
    ASSIGN_OR_RETURN(crypto::SealConfig config, node::ReadSealConfig(data_dir));
    ASSIGN_OR_RETURN(std::string spec, node::StoreSpecOf(data_dir, ""));
    StoreOptions options;
    options.rocksdb.create_if_missing = false;
    options.postgres_pool_size = 2;
    ASSIGN_OR_RETURN(d.store, OpenStore(spec, options));
    ASSIGN_OR_RETURN(d.schema, node::ReadSchema(*d.store));
    ASSIGN_OR_RETURN(SecretBytes root, crypto::UnsealWithDevKeyFile(config));
    node::SealGateOptions gate;
    ASSIGN_OR_RETURN(d.services, node::OpenServices(*d.store, d.schema, std::move(root),
                                                    Clock::Real(), std::move(gate), false));
    return d;
  }

  // Records stored in `collection`.
  uint64_t CountRecords(const std::string& collection) {
    const std::string prefix = collection + "/";
    const std::string end = PrefixEnd(prefix);
    std::string start = prefix;
    uint64_t n = 0;
    while (true) {
      StatusOr<std::vector<KeyValue>> page = store->Scan(Space::kRecords, start, end, 4096);
      if (!page.ok() || page->empty()) return n;
      n += page->size();
      start = page->back().key;
      start.push_back('\0');
    }
  }
};

// The JSON Lines of a rejects file.
inline std::vector<nlohmann::json> ReadRejects(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::istringstream in(ReadAll(path));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

}  // namespace warden::import_test

#endif  // WARDEN_TESTS_IMPORT_IMPORT_TEST_UTIL_H_
