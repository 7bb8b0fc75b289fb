#include "common/options.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace mcscale {

Options::Options(std::string program, std::string synopsis)
    : program_(std::move(program)), synopsis_(std::move(synopsis)) {}

Options& Options::Add(const std::string& name, const std::string& default_value,
                      const std::string& help) {
  specs_.push_back(Spec{name, default_value, help, false});
  return *this;
}

Options& Options::AddFlag(const std::string& name, const std::string& help) {
  specs_.push_back(Spec{name, "", help, true});
  return *this;
}

Options& Options::Alias(const std::string& alias, const std::string& name) {
  aliases_[alias] = name;
  return *this;
}

Options& Options::AllowPositional(const std::string& what) {
  allow_positional_ = true;
  positional_what_ = what;
  return *this;
}

const Options::Spec* Options::Find(const std::string& name) const {
  for (const auto& s : specs_)
    if (s.name == name) return &s;
  return nullptr;
}

std::string Options::EnvName(const std::string& name) {
  std::string env = "MCSCALE_";
  for (char c : name) env += (c == '-') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return env;
}

Status Options::Parse(int argc, const char* const* argv) {
  values_.clear();
  positional_.clear();
  for (const auto& s : specs_) {
    if (const char* env = std::getenv(EnvName(s.name).c_str())) values_[s.name] = env;
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) positional_.push_back(argv[i]);
      break;
    }
    std::string name;
    std::string value;
    bool has_value = false;
    auto alias = aliases_.find(arg);
    if (alias != aliases_.end()) {
      name = alias->second;
    } else if (arg.rfind("--", 0) == 0) {
      name = arg.substr(2);
      auto eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
    } else if (arg.size() > 1 && arg[0] == '-' && !(arg[1] >= '0' && arg[1] <= '9')) {
      return Status::Invalid("unknown option '" + arg + "'");
    } else {
      if (!allow_positional_) return Status::Invalid("unexpected argument '" + arg + "'");
      positional_.push_back(arg);
      continue;
    }
    if (name == "help" || name == "version") {
      values_[name] = "1";
      continue;
    }
    const Spec* spec = Find(name);
    if (spec == nullptr) return Status::Invalid("unknown option '" + arg + "'");
    if (spec->is_flag) {
      if (has_value) return Status::Invalid("option --" + name + " takes no value");
      values_[name] = "1";
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc) return Status::Invalid("option --" + name + " needs a value");
      value = argv[++i];
    }
    values_[name] = value;
  }
  return Status::Ok();
}

void Options::ParseOrExit(int argc, const char* const* argv) {
  Status st = Parse(argc, argv);
  if (values_.count("help")) {
    std::cout << Usage();
    std::exit(0);
  }
  if (values_.count("version")) {
    std::cout << program_ << " " << MCSCALE_VERSION << "\n";
    std::exit(0);
  }
  if (!st.ok()) Fail(st.message());
}

std::string Options::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  const Spec* spec = Find(name);
  return spec ? spec->default_value : "";
}

bool Options::GetFlag(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return false;
  return it->second != "0" && it->second != "false" && it->second != "";
}

bool Options::IsSet(const std::string& name) const { return values_.count(name) > 0; }

Result<int64_t> Options::GetInt(const std::string& name, int64_t min, int64_t max) const {
  std::string text = Get(name);
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || errno != 0 || end == nullptr || *end != '\0')
    return Status::Invalid("--" + name + ": '" + text + "' is not an integer");
  if (v < min || v > max)
    return Status::Invalid("--" + name + ": " + text + " is out of range " + std::to_string(min) +
                           ".." + std::to_string(max));
  return static_cast<int64_t>(v);
}

Result<double> Options::GetDouble(const std::string& name, double min, double max) const {
  std::string text = Get(name);
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || errno != 0 || end == nullptr || *end != '\0')
    return Status::Invalid("--" + name + ": '" + text + "' is not a number");
  if (!(v >= min && v <= max)) {
    std::ostringstream msg;
    msg << "--" << name << ": " << text << " is out of range " << min << ".." << max;
    return Status::Invalid(msg.str());
  }
  return v;
}

int64_t Options::IntOrExit(const std::string& name, int64_t min, int64_t max) const {
  auto r = GetInt(name, min, max);
  if (!r.ok()) Fail(r.status().message());
  return *r;
}

double Options::DoubleOrExit(const std::string& name, double min, double max) const {
  auto r = GetDouble(name, min, max);
  if (!r.ok()) Fail(r.status().message());
  return *r;
}

std::string Options::Usage() const {
  std::ostringstream out;
  out << "Usage: " << synopsis_ << "\n\nOptions:\n";
  for (const auto& s : specs_) {
    std::string left = "  --" + s.name;
    for (const auto& [alias, target] : aliases_)
      if (target == s.name) left += ", " + alias;
    if (!s.is_flag) left += " VALUE";
    out << left;
    if (left.size() < 30) out << std::string(30 - left.size(), ' ');
    else out << "\n" << std::string(30, ' ');
    out << s.help;
    if (!s.is_flag) out << " (default: " << (s.default_value.empty() ? "none" : s.default_value) << ")";
    out << " [env " << EnvName(s.name) << "]\n";
  }
  out << "  --help                      show this help and exit\n";
  out << "  --version                   print the version and exit\n";
  return out.str();
}

void Options::Fail(const std::string& message) const {
  std::cerr << program_ << ": " << message << "\n"
            << "Try '" << program_ << " --help' for the list of options.\n";
  std::exit(2);
}

}  // namespace mcscale
