// Defines the directory connector: `Object.jsonl` or `Object.csv` per object (connector.h).
// Reads stream the object's file (jsonl_reader.cpp, csv_reader.cpp); writes upsert into
// `Object.jsonl` (jsonl_writer.cpp).
#include <filesystem>

#include "runtime/connectors/internal.h"

namespace crmx::connectors {

namespace {

namespace fs = std::filesystem;

class FileConnector : public Connector {
 public:
  explicit FileConnector(std::string dir) : dir_(std::move(dir)) {}

  std::string Describe() const override { return "directory " + dir_; }
  std::string Fingerprint(const std::string& object) const override {
    std::error_code ec;
    fs::path csv = fs::path(dir_) / (object + ".csv");
    return FileFingerprint((fs::is_regular_file(csv, ec) ? csv : fs::path(dir_) / (object + ".jsonl")).string());
  }

  std::unique_ptr<RecordReader> OpenReader(const ReadRequest& req, std::string& error) override {
    fs::path jsonl = fs::path(dir_) / (req.object + ".jsonl");
    fs::path csv = fs::path(dir_) / (req.object + ".csv");
    std::error_code ec;
    if (fs::is_regular_file(jsonl, ec)) return OpenJsonlReader(jsonl.string(), req.object + ".jsonl", req, error);
    if (fs::is_regular_file(csv, ec)) return OpenCsvReader(csv.string(), req.object + ".csv", req, error);
    error = "no `" + req.object + ".jsonl` or `" + req.object + ".csv` in " + dir_;
    return nullptr;
  }

  std::unique_ptr<RecordWriter> OpenWriter(const WriteRequest& req, std::string& error) override {
    std::error_code ec;
    if (fs::is_regular_file(fs::path(dir_) / (req.object + ".csv"), ec)) {
      error = "`" + req.object + ".csv` in " + dir_ + " cannot be written: the directory connector writes JSON Lines "
              "(move the CSV file away or convert it to " + req.object + ".jsonl)";
      return nullptr;
    }
    return OpenJsonlWriter((fs::path(dir_) / (req.object + ".jsonl")).string(), req, error);
  }

 private:
  std::string dir_;
};

}  // namespace

std::unique_ptr<Connector> OpenFiles(const std::string& dir, std::string& error) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    error = "`" + dir + "` is not a directory";
    return nullptr;
  }
  return std::make_unique<FileConnector>(dir);
}

}  // namespace crmx::connectors
