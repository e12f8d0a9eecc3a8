// `warden gen persons|cases|deliveries`: synthetic records, never real
// people, deterministic for a seed and streamed in constant memory.
#include <cstdio>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "core/file_system.h"
#include "schema/generator.h"
#include "schema/record.h"

namespace warden::cli {
namespace {

struct GenOptions {
  std::string collection;
  uint64_t count = 0;
  uint64_t seed = 1;
  std::string format = "csv";
  uint64_t canaries = 0;
  std::string canaries_out;
  uint64_t population = 0;
  std::string out = "-";
};

// Streams records of one kind to `out`, flushing in large chunks.
template <typename Generator, typename Record>
Status Generate(Generator& gen, const GenOptions& opt, std::FILE* out,
                const std::unordered_set<uint64_t>& canaries, std::string& canary_keys) {
  static constexpr size_t kFlushBytes = 1 << 20;
  std::string buf;
  buf.reserve(kFlushBytes + 4096);
  const schema::CollectionSchema& collection = *schema::Schema::Registry().Find(opt.collection);
  bool csv = opt.format == "csv";
  if (csv) buf += schema::CsvHeaderOf(opt.collection);
  Record r;
  for (uint64_t i = 0; i < opt.count; ++i) {
    gen.Next(r);
    if (csv) {
      r.AppendCsv(buf);
    } else {
      r.AppendJsonLine(buf);
    }
    if (!canaries.empty() && canaries.count(i)) {
      canary_keys += schema::RecordKeyOf(collection, r.ToJson()) + "\n";
    }
    if (buf.size() >= kFlushBytes) {
      if (std::fwrite(buf.data(), 1, buf.size(), out) != buf.size()) {
        return Unavailable("writing the output failed");
      }
      buf.clear();
    }
  }
  if (std::fwrite(buf.data(), 1, buf.size(), out) != buf.size() || std::fflush(out) != 0) {
    return Unavailable("writing the output failed");
  }
  return Status::Ok();
}

Status RunGen(const GenOptions& opt) {
  if (opt.canaries > 0 && opt.canaries_out.empty()) {
    return InvalidArgument(
        "--canaries needs --canaries-out FILE: the list of canaries is kept "
        "apart from the data");
  }
  ASSIGN_OR_RETURN(auto canaries, schema::ChooseCanaries(opt.seed, opt.count, opt.canaries));
  std::FILE* out = stdout;
  if (opt.out != "-") {
    out = std::fopen(opt.out.c_str(), "wb");
    if (out == nullptr) return Unavailable("cannot open the output file");
  }
  std::string canary_keys;
  Status s;
  uint64_t population = opt.population ? opt.population : opt.count;
  if (opt.collection == "persons") {
    schema::PersonGenerator gen(opt.seed);
    if (opt.count > gen.Capacity()) {
      s = InvalidArgument("--count exceeds the " + std::to_string(gen.Capacity()) +
                          " distinct persons one seed can produce");
    } else {
      s = Generate<schema::PersonGenerator, schema::PersonRecord>(gen, opt, out, canaries,
                                                                  canary_keys);
    }
  } else if (opt.collection == "cases") {
    schema::CaseGenerator gen(opt.seed, population);
    s = Generate<schema::CaseGenerator, schema::CaseRecord>(gen, opt, out, canaries, canary_keys);
  } else {
    schema::DeliveryGenerator gen(opt.seed, population);
    s = Generate<schema::DeliveryGenerator, schema::DeliveryRecord>(gen, opt, out, canaries,
                                                                    canary_keys);
  }
  if (out != stdout) std::fclose(out);
  RETURN_IF_ERROR(s);
  if (!opt.canaries_out.empty()) {
    RETURN_IF_ERROR(FileSystem::Default().WriteFileAtomic(opt.canaries_out, canary_keys, 0600));
  }
  return Status::Ok();
}

}  // namespace

void RegisterGenCommand(CLI::App& app, CommandContext& ctx) {
  auto opt = std::make_shared<GenOptions>();
  CLI::App* cmd = app.add_subcommand(
      "gen", "Write synthetic records (never real people), deterministic for a seed");
  cmd->add_option("collection", opt->collection, "persons, cases or deliveries")
      ->required()
      ->check(CLI::IsMember({"persons", "cases", "deliveries"}));
  cmd->add_option("--count", opt->count, "Number of records")->required();
  cmd->add_option("--seed", opt->seed, "Seed; the same seed gives the same records")
      ->capture_default_str();
  cmd->add_option("--format", opt->format, "Output format")
      ->check(CLI::IsMember({"csv", "jsonl"}))
      ->capture_default_str();
  cmd->add_option("--canaries", opt->canaries, "Number of records to mark as canaries (tripwires)");
  cmd->add_option("--canaries-out", opt->canaries_out,
                  "File (mode 0600) receiving the canary records' keys, one per line");
  cmd->add_option("--persons", opt->population,
                  "cases/deliveries: refer to persons 0..N-1 of the same seed "
                  "(default: --count)");
  cmd->add_option("--out", opt->out, "Output file ('-' for standard output)")
      ->capture_default_str();
  cmd->callback([opt, &ctx] {
    Status s = RunGen(*opt);
    if (!s.ok()) {
      std::cerr << "warden gen: " << s.message() << "\n";
      ctx.exit_code = s.code() == StatusCode::kInvalidArgument ? 2 : 1;
    }
  });
}

}  // namespace warden::cli
