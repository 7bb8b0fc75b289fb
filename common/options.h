// Options: each command-line option declared once, with its default and help text; flags
// (--name VALUE, --name=VALUE, declared short aliases) and the environment
// (MCSCALE_<NAME>, dashes as underscores) both read that one declaration, and --help is
// generated from it. Precedence: flag, then environment, then default.
//
// Not thread-safe; build and parse it once at start-up.
#ifndef MCSCALE_COMMON_OPTIONS_H_
#define MCSCALE_COMMON_OPTIONS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace mcscale {

class Options {
 public:
  // `program` is the binary's name; `synopsis` the usage line and a sentence of what it does.
  Options(std::string program, std::string synopsis);

  // Declares --name taking a value. Default: `default_value` ("" means none).
  Options& Add(const std::string& name, const std::string& default_value, const std::string& help);
  // Declares --name as a switch (no value; false unless given).
  Options& AddFlag(const std::string& name, const std::string& help);
  // Lets `alias` (e.g. "-p") stand for --name.
  Options& Alias(const std::string& alias, const std::string& name);
  // Allows positional arguments (otherwise they are an error); `what` names them in --help.
  Options& AllowPositional(const std::string& what);

  // Parses argv (argv[0] is skipped). --help and --version are handled by ParseOrExit.
  // On failure the Status names the offending argument.
  Status Parse(int argc, const char* const* argv);
  // Parse, printing --help/--version (exit 0) or the error plus a hint (exit 2).
  void ParseOrExit(int argc, const char* const* argv);

  std::string Get(const std::string& name) const;
  bool GetFlag(const std::string& name) const;
  // Typed reads; the error names the option and the accepted range.
  Result<int64_t> GetInt(const std::string& name, int64_t min, int64_t max) const;
  Result<double> GetDouble(const std::string& name, double min, double max) const;
  // Typed reads that print the error and exit 2 on a bad value (for start-up).
  int64_t IntOrExit(const std::string& name, int64_t min, int64_t max) const;
  double DoubleOrExit(const std::string& name, double min, double max) const;
  // True when the option was given on the command line or in the environment.
  bool IsSet(const std::string& name) const;

  const std::vector<std::string>& positional() const { return positional_; }
  std::string Usage() const;
  // Prints "<program>: <message>" and a --help hint to stderr, then exits with status 2.
  [[noreturn]] void Fail(const std::string& message) const;

 private:
  struct Spec {
    std::string name;
    std::string default_value;
    std::string help;
    bool is_flag = false;
  };
  const Spec* Find(const std::string& name) const;
  static std::string EnvName(const std::string& name);

  std::string program_;
  std::string synopsis_;
  std::string positional_what_;
  bool allow_positional_ = false;
  std::vector<Spec> specs_;
  std::map<std::string, std::string> aliases_;
  std::map<std::string, std::string> values_;  // explicitly given (flag or env)
  std::vector<std::string> positional_;
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_OPTIONS_H_
