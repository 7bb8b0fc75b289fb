#include "bench/op_log.h"

#include <time.h>

#include <cstdio>
#include <cstring>

namespace mcscale {

namespace {
constexpr size_t kRecordSize = 1 + 1 + 4 + 8 + 8 + 8;
}

int64_t MonoNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string VersionedValue(uint64_t version, size_t size) {
  std::string v = std::to_string(version) + "|";
  if (v.size() < size) v.append(size - v.size(), '.');
  return v;
}

uint64_t VersionOf(const std::string& value) {
  auto bar = value.find('|');
  if (bar == std::string::npos || bar == 0 || bar > 20) return kNoVersion;
  uint64_t v = 0;
  for (size_t i = 0; i < bar; ++i) {
    if (value[i] < '0' || value[i] > '9') return kNoVersion;
    v = v * 10 + static_cast<uint64_t>(value[i] - '0');
  }
  return v;
}

Status WriteOpLog(const std::string& path, const std::vector<OpRecord>& records) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return Status::Io("cannot write " + path + ": " + std::strerror(errno));
  std::vector<char> buf(kRecordSize * records.size());
  char* p = buf.data();
  for (const auto& r : records) {
    *p++ = static_cast<char>(r.kind);
    *p++ = static_cast<char>(r.ack);
    std::memcpy(p, &r.key, 4), p += 4;
    std::memcpy(p, &r.version, 8), p += 8;
    std::memcpy(p, &r.begin_ns, 8), p += 8;
    std::memcpy(p, &r.end_ns, 8), p += 8;
  }
  bool ok = std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
  ok = (std::fclose(f) == 0) && ok;
  return ok ? Status::Ok() : Status::Io("short write to " + path);
}

Status ReadOpLog(const std::string& path, std::vector<OpRecord>* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::Io("cannot read " + path + ": " + std::strerror(errno));
  char rec[kRecordSize];
  while (std::fread(rec, 1, kRecordSize, f) == kRecordSize) {
    OpRecord r;
    const char* p = rec;
    r.kind = static_cast<uint8_t>(*p++);
    r.ack = static_cast<uint8_t>(*p++);
    std::memcpy(&r.key, p, 4), p += 4;
    std::memcpy(&r.version, p, 8), p += 8;
    std::memcpy(&r.begin_ns, p, 8), p += 8;
    std::memcpy(&r.end_ns, p, 8), p += 8;
    out->push_back(r);
  }
  std::fclose(f);
  return Status::Ok();
}

}  // namespace mcscale
