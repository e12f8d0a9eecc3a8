// `warden validate`: checks a file of records (or of bare values) against the
// schema without storing anything. Every rejected row becomes one line of the
// rejects format (schema/reject_line.h) in the rejects file; a summary
// goes to standard output; the exit status is 1 if anything was rejected.
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/clock.h"
#include "core/file_system.h"
#include "schema/record.h"
#include "schema/record_reader.h"
#include "schema/reject_line.h"
#include "schema/values.h"

namespace warden::cli {
namespace {

struct ValidateOptions {
  std::string file;
  std::string collection;
  std::string type;
  std::string rejects;
  std::string format;
  std::string schema_file;
};

struct Counts {
  uint64_t read = 0;
  uint64_t valid = 0;
  uint64_t rejected = 0;
};

Status RunValidate(const ValidateOptions& opt, Counts& counts) {
  if (opt.collection.empty() == opt.type.empty()) {
    return InvalidArgument("give exactly one of --collection or --type");
  }
  std::ifstream file_in;
  std::istream* in = &std::cin;
  if (opt.file != "-") {
    file_in.open(opt.file, std::ios::binary);
    if (!file_in) return NotFound("cannot open the input file");
    in = &file_in;
  }
  std::ofstream rejects_file;
  std::ostream* rejects = &std::cerr;
  if (!opt.rejects.empty() && opt.rejects != "-") {
    rejects_file.open(opt.rejects, std::ios::binary | std::ios::trunc);
    if (!rejects_file) return Unavailable("cannot open the rejects file");
    rejects = &rejects_file;
  }
  const Clock& clock = Clock::Real();

  if (!opt.type.empty()) {
    std::optional<schema::FieldType> type = schema::ParseFieldTypeName(opt.type);
    if (!type) return InvalidArgument("unknown type " + opt.type);
    std::string line;
    uint64_t n = 0;
    while (std::getline(*in, line)) {
      ++n;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      ++counts.read;
      StatusOr<std::string> v = schema::NormaliseValue(*type, line, clock);
      if (v.ok()) {
        ++counts.valid;
      } else if (v.status().code() != StatusCode::kUnprocessable) {
        return v.status();
      } else {
        ++counts.rejected;
        *rejects << schema::RejectLine(n, v.status());
      }
    }
    return Status::Ok();
  }

  std::optional<schema::Schema> custom;
  const schema::Schema* schema = &schema::Schema::Registry();
  if (!opt.schema_file.empty()) {
    ASSIGN_OR_RETURN(std::string text, FileSystem::Default().ReadFile(opt.schema_file));
    ASSIGN_OR_RETURN(custom, schema::Schema::Parse(text));
    schema = &*custom;
  }
  const schema::CollectionSchema* collection = schema->Find(opt.collection);
  if (collection == nullptr) return NotFound("no collection " + opt.collection);

  schema::RecordFormat format;
  if (opt.format == "csv") {
    format = schema::RecordFormat::kCsv;
  } else if (opt.format == "jsonl") {
    format = schema::RecordFormat::kJsonLines;
  } else if (auto f = schema::RecordReader::FormatOfPath(opt.file)) {
    format = *f;
  } else {
    int c = in->peek();
    format = c == '{' ? schema::RecordFormat::kJsonLines : schema::RecordFormat::kCsv;
  }
  schema::RecordReader reader(*in, format, collection);
  while (auto row = reader.Next()) {
    ++counts.read;
    Status s = row->record.status();
    if (s.ok()) s = schema::ValidateRecord(*collection, *row->record, clock).status();
    if (s.ok()) {
      ++counts.valid;
    } else {
      ++counts.rejected;
      *rejects << schema::RejectLine(row->line, s);
    }
  }
  if (in->bad()) return Unavailable("reading the input failed");
  rejects->flush();
  return Status::Ok();
}

}  // namespace

void RegisterValidateCommand(CLI::App& app, CommandContext& ctx) {
  auto opt = std::make_shared<ValidateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "validate", "Check a CSV or JSON Lines file against the schema; stores nothing");
  cmd->add_option("file", opt->file, "Input file, '-' for standard input")->required();
  cmd->add_option("--collection", opt->collection, "Collection whose records the file holds");
  cmd->add_option("--type", opt->type,
                  "Check one bare value per line of this field type (e.g. cn_resident_id)");
  cmd->add_option("--rejects", opt->rejects,
                  "JSON Lines file for rejected rows (default: standard error)");
  cmd->add_option("--format", opt->format, "csv or jsonl (default: from the name or content)")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  cmd->add_option("--schema", opt->schema_file, "Schema file (default: the built-in registry)");
  cmd->callback([opt, &ctx] {
    Counts counts;
    Status s = RunValidate(*opt, counts);
    if (!s.ok()) {
      std::cerr << "warden validate: " << s.message() << "\n";
      ctx.exit_code = 2;
      return;
    }
    std::cout << "read " << counts.read << ", valid " << counts.valid << ", rejected "
              << counts.rejected << "\n";
    ctx.exit_code = counts.rejected > 0 ? 1 : 0;
  });
}

}  // namespace warden::cli
