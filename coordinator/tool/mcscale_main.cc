// mcscale: the operator's command-line tool. One binary, one subcommand per task; each
// subcommand declares its own options (common/options.h) and gets --help from them.
//
// To add a subcommand: write `int RunName(int argc, const char* const* argv)` (argv[0] is
// "mcscale NAME") and add a row to kSubcommands. Exit status: 0 done, 1 failed, 2 bad usage.
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/options.h"
#include "common/region_map.h"

namespace mcscale {
namespace {

using OrderedJson = nlohmann::ordered_json;

// Never throws on keys that are not UTF-8 (memcached keys are bytes): such bytes print as U+FFFD.
std::string Dump(const OrderedJson& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

void AddRegionsOption(Options& o) {
  o.Add("regions", std::to_string(RegionMap::kDefaultRegions),
        "region count R of the pool: a power of two in " + std::to_string(RegionMap::kMinRegions) + ".." +
            std::to_string(RegionMap::kMaxRegions));
}

int RegionsOrExit(const Options& o) {
  int64_t r = o.IntOrExit("regions", RegionMap::kMinRegions, RegionMap::kMaxRegions);
  if (!RegionMap::ValidRegionCount(static_cast<int>(r)))
    o.Fail("--regions: " + std::to_string(r) + " is not a power of two in " + std::to_string(RegionMap::kMinRegions) +
           ".." + std::to_string(RegionMap::kMaxRegions));
  return static_cast<int>(r);
}

// "a,b,c" -> {"a","b","c"}; "" -> {} (the caller reports the empty list).
std::vector<NodeId> SplitNodes(const std::string& text) {
  std::vector<NodeId> nodes;
  if (text.empty()) return nodes;
  std::stringstream in(text);
  std::string node;
  while (std::getline(in, node, ',')) nodes.push_back(node);
  if (text.back() == ',') nodes.push_back("");
  return nodes;
}

int RunRegion(int argc, const char* const* argv) {
  Options o("mcscale region",
            "mcscale region [--regions R] KEY...\n"
            "Prints the region of each KEY (the first log2(R) bits of its MD5), one JSON object a line.");
  AddRegionsOption(o);
  o.AllowPositional("KEY...");
  o.ParseOrExit(argc, argv);
  int regions = RegionsOrExit(o);
  if (o.positional().empty()) o.Fail("no KEY given");
  for (const std::string& key : o.positional()) {
    OrderedJson line = {{"key", key}, {"region", RegionMap::RegionOf(key, regions)}};
    std::cout << Dump(line) << "\n";
  }
  return 0;
}

int RunPlan(int argc, const char* const* argv) {
  Options o("mcscale plan",
            "mcscale plan [--regions R] --from A,B,C --to A,B,D\n"
            "Prints, as one JSON object, the region map a resize from the nodes --from (dealt their\n"
            "initial map) to the nodes --to leads to: \"regions\" (region -> node), \"moves\"\n"
            "({region, from, to}), \"counts\" (node -> regions held) and \"moved\" (how many).");
  AddRegionsOption(o);
  o.Add("from", "", "comma-separated node ids of the pool before the resize");
  o.Add("to", "", "comma-separated node ids of the pool after the resize");
  o.ParseOrExit(argc, argv);
  int regions = RegionsOrExit(o);

  std::vector<NodeId> from = SplitNodes(o.Get("from"));
  std::vector<NodeId> to = SplitNodes(o.Get("to"));
  if (from.empty()) o.Fail("--from: empty node list");
  if (to.empty()) o.Fail("--to: empty node list");
  auto old_map = RegionMap::Initial(regions, from);
  if (!old_map.ok()) o.Fail("--from: " + old_map.status().message());
  auto new_map = RegionMap::Rebalance(*old_map, to);
  if (!new_map.ok()) o.Fail("--to: " + new_map.status().message());

  OrderedJson moves = OrderedJson::array();
  for (const RegionMove& m : RegionMap::Moves(*old_map, *new_map))
    moves.push_back({{"region", m.region}, {"from", m.from}, {"to", m.to}});
  OrderedJson counts = OrderedJson::object();
  for (const auto& [node, count] : new_map->Counts()) counts[node] = count;
  OrderedJson out = {
      {"regions", new_map->owners()},
      {"moves", moves},
      {"counts", counts},
      {"moved", moves.size()},
  };
  std::cout << Dump(out) << "\n";
  return 0;
}

struct Subcommand {
  const char* name;
  const char* summary;
  int (*run)(int argc, const char* const* argv);
};

const Subcommand kSubcommands[] = {
    {"region", "print the region of each key", RunRegion},
    {"plan", "print the region map and the moves of a resize", RunPlan},
};

std::string Usage() {
  std::ostringstream out;
  out << "Usage: mcscale SUBCOMMAND [options]\n"
      << "The operator's tool for an mcscale pool.\n\nSubcommands:\n";
  for (const auto& sub : kSubcommands) {
    std::string name = std::string("  ") + sub.name;
    out << name << std::string(name.size() < 14 ? 14 - name.size() : 1, ' ') << sub.summary << "\n";
  }
  out << "\n'mcscale SUBCOMMAND --help' describes one subcommand; 'mcscale --version' prints the version.\n";
  return out.str();
}

int Main(int argc, const char* const* argv) {
  if (argc < 2) {
    std::cerr << "mcscale: no subcommand given\n" << Usage();
    return 2;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    std::cout << Usage();
    return 0;
  }
  if (name == "--version") {
    std::cout << "mcscale " << MCSCALE_VERSION << "\n";
    return 0;
  }
  for (const auto& sub : kSubcommands) {
    if (name != sub.name) continue;
    // The subcommand sees "mcscale NAME" as its argv[0].
    std::string program = "mcscale " + name;
    std::vector<const char*> args = {program.c_str()};
    for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
    return sub.run(static_cast<int>(args.size()), args.data());
  }
  std::cerr << "mcscale: unknown subcommand '" << name << "'\n"
            << "Try 'mcscale --help' for the list of subcommands.\n";
  return 2;
}

}  // namespace
}  // namespace mcscale

int main(int argc, char** argv) { return mcscale::Main(argc, argv); }
