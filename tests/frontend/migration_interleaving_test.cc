// Exhaustive interleaving test of the migration protocol (DESIGN.md, "Resizing without
// losing keys"; issue 6). One key whose region moves from node "a" to node "b"; two
// in-memory nodes; frontends that execute the plans of the real RoutingTable; the mover in
// steps (get from a, add to b, delete from a). Every interleaving of the atomic steps is
// explored by depth-first search with explicit state copies, and every read is checked
// against the stale-read rule of issue 6:
//   a read is stale when it returns a value whose write was acknowledged before some
//   other write or delete of the key began that was itself acknowledged before the read
//   began.
// Time is the index of a step in the trace: an operation begins at its first step and is
// acknowledged at its last (every step succeeds in the model). The initial value,
// version 0, counts as a write acknowledged at time -1. Each finished trace also reads the
// key after migration.done (the new owner alone) by the same rule, checks that a write that
// came last and overlapped no other write or delete is what remains (nothing lost), and
// that the old owner is drained.
//
// What the protocol allows, and so what is explored:
//  - each frontend starts in prepare and enters commit at a moment of its choosing between
//    two of its operations (before the first, or after the last): a lease reports a new
//    phase only once the operations begun under the earlier one have finished, and commit
//    is published only once every lease is on prepare, so any mix of the two phases is
//    possible and "starts in commit" is the case where the switch comes first;
//  - an operation's plan is taken from the frontend's phase when it begins;
//  - the mover's first step waits until every frontend is in commit;
//  - tombstones live until the end (past migration.done), so they never expire here.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "frontend/routing_table.h"

namespace mcscale {
namespace {

enum class OpKind { kRead, kWrite, kDelete };

constexpr int kMaxFrontends = 3;
constexpr int kMaxOps = 6;
constexpr int kMaxSteps = 32;
constexpr int kMiss = -1;
constexpr int kPrepare = 0, kCommit = 1;

// What a node holds for the key: a version (the value) with the tombstone flag or not.
struct Item {
  int version = 0;
  uint32_t flags = 0;
};

// The plans of the real RoutingTable for the moving key, per phase.
struct PhasePlans {
  ReadPlan read;
  std::vector<Step> write, del;
};

struct Protocol {
  std::string key;
  NodeId source, destination;  // the mover's: old and new owner
  std::array<PhasePlans, 2> plans;
};

// The moving key, the maps before and after, and the plans of RoutingTable (or of its
// reversed-commit test double) in prepare and in commit.
Protocol MakeProtocol(bool reversed_commit) {
  RegionMap before = *RegionMap::Initial(16, {"a"});
  RegionMap after = *RegionMap::Rebalance(before, {"a", "b"});
  Protocol p;
  for (int i = 0; p.key.empty(); ++i) {
    std::string k = "k" + std::to_string(i);
    if (after.OwnerOfKey(k) == "b") p.key = k;
  }
  p.source = before.OwnerOfKey(p.key);
  p.destination = after.OwnerOfKey(p.key);
  for (int phase : {kPrepare, kCommit}) {
    RoutingSnapshot s;
    s.pool_id = "interleaving";
    s.epoch = 2;
    s.phase = phase == kPrepare ? RoutePhase::kPrepare : RoutePhase::kCommit;
    s.map = after;
    s.previous = before;
    s.nodes = {{"a", "a:1"}, {"b", "b:1"}};
    RoutingTable t = reversed_commit ? RoutingTable::WithReversedCommitForTest(s) : RoutingTable(s);
    p.plans[phase] = {t.Read(p.key), t.Write(p.key), t.Delete(p.key)};
  }
  return p;
}

// What each frontend does, in order, and whether the key starts with version 0 at a.
struct Scenario {
  bool initially_present = true;
  std::vector<std::vector<OpKind>> ops;  // per frontend
};

// One operation as it happened: its interval and its value (written, or read; kMiss).
struct OpRecord {
  OpKind kind = OpKind::kRead;
  int frontend = 0;
  int version = kMiss;
  int begin = 0, ack = -1;
};

struct FrontendState {
  int phase = kPrepare;
  int next_op = 0;    // index into the scenario's ops of this frontend
  int step = 0;       // next step of the operation in flight (0: none in flight)
  int record = -1;    // the in-flight operation's OpRecord
  int op_phase = kPrepare;  // the phase its plan was taken from
};

struct MoverState {
  int stage = 0;  // 0: get from the source, 1: add to the destination, 2: delete, 3: done
  Item copied;
};

// Everything that changes along a trace; copied at every branch of the search.
struct State {
  std::array<std::optional<Item>, 2> node;  // [0] the source "a", [1] the destination "b"
  std::array<FrontendState, kMaxFrontends> fe;
  MoverState mover;
  std::array<OpRecord, kMaxOps> ops;
  int op_count = 0;
  int time = 0;
  std::array<int8_t, kMaxSteps> trace{};  // the action taken at each step
};

struct Totals {
  long long traces = 0;
  long long stale_reads = 0;        // by the frontends' reads
  long long stale_final_reads = 0;  // by the read after migration.done
  long long stale_traces = 0;
  long long lost = 0;       // traces ending without the uncontested last write's value
  long long undrained = 0;  // traces ending with the key still on the source
  // The shortest trace with a stale read (by a frontend when there is one), replayed.
  std::string example;
  int example_rank = 2 * (kMaxSteps + 1);
};

std::string Describe(const std::optional<Item>& item) {
  if (!item) return "miss";
  if (item->flags & kTombstoneFlag) return "tombstone";
  return "v" + std::to_string(item->version);
}

class Model {
 public:
  Model(const Protocol& p, const Scenario& sc) : p_(p), sc_(sc), n_(static_cast<int>(sc.ops.size())) {}

  State Initial() const {
    State s;
    if (sc_.initially_present) s.node[0] = Item{0, 0};
    return s;
  }

  // Actions: 2f = frontend f's next operation step, 2f+1 = frontend f enters commit,
  // 2n = the mover's next step.
  int actions() const { return 2 * n_ + 1; }

  bool Enabled(const State& s, int action) const {
    if (action == 2 * n_) {
      if (s.mover.stage == 3) return false;
      for (int f = 0; f < n_; ++f)
        if (s.fe[f].phase != kCommit) return false;
      return true;
    }
    const FrontendState& fe = s.fe[action / 2];
    const bool idle = fe.step == 0;
    if (action % 2 == 1) return idle && fe.phase == kPrepare;
    return !idle || fe.next_op < static_cast<int>(sc_.ops[action / 2].size());
  }

  // Takes one atomic step; appends what it did to `log` when given.
  void Apply(State& s, int action, std::string* log) const {
    s.trace[s.time] = static_cast<int8_t>(action);
    if (action == 2 * n_) {
      MoverStep(s, log);
    } else if (action % 2 == 1) {
      s.fe[action / 2].phase = kCommit;
      Log(log, s, "F" + std::to_string(action / 2 + 1) + " enters commit");
    } else {
      FrontendStep(s, action / 2, log);
    }
    ++s.time;
  }

  // Checks a finished trace.
  void Finish(const State& s, Totals* t) const {
    ++t->traces;
    // The application reads the key after migration.done: the new owner alone.
    const std::optional<Item>& b = s.node[1];
    OpRecord final_read{OpKind::kRead, -1, b && !(b->flags & kTombstoneFlag) ? b->version : kMiss, s.time, s.time};
    int stale = 0;
    for (int i = 0; i < s.op_count; ++i)
      if (s.ops[i].kind == OpKind::kRead && IsStale(s, s.ops[i])) ++stale;
    bool stale_final = IsStale(s, final_read);
    if (stale > 0 || stale_final) {
      t->stale_reads += stale;
      t->stale_final_reads += stale_final;
      ++t->stale_traces;
      int rank = (stale > 0 ? 0 : kMaxSteps + 1) + s.time;
      if (rank < t->example_rank) {
        t->example_rank = rank;
        t->example = Replay(s);
      }
    }
    if (Lost(s, final_read.version)) ++t->lost;
    if (s.node[0]) ++t->undrained;
  }

  void Explore(const State& s, Totals* t) const {
    bool any = false;
    for (int action = 0; action < actions(); ++action) {
      if (!Enabled(s, action)) continue;
      any = true;
      State next = s;
      Apply(next, action, nullptr);
      Explore(next, t);
    }
    if (!any) Finish(s, t);
  }

 private:
  int Index(const NodeId& node) const { return node == p_.source ? 0 : 1; }

  void Log(std::string* log, const State& s, const std::string& what) const {
    if (log) *log += "  " + std::to_string(s.time) + ": " + what + "\n";
  }

  void FrontendStep(State& s, int f, std::string* log) const {
    FrontendState& fe = s.fe[f];
    if (fe.step == 0) {
      OpRecord r;
      r.kind = sc_.ops[f][fe.next_op];
      r.frontend = f;
      r.begin = s.time;
      if (r.kind == OpKind::kWrite) r.version = s.op_count + 1;  // unique in the trace
      fe.record = s.op_count;
      fe.op_phase = fe.phase;
      s.ops[s.op_count++] = r;
    }
    OpRecord& r = s.ops[fe.record];
    const PhasePlans& plans = p_.plans[fe.op_phase];
    std::string who = "F" + std::to_string(f + 1) + (fe.op_phase == kPrepare ? " [prepare] " : " [commit] ");
    bool done = false;
    if (r.kind == OpKind::kRead) {
      // Step 0 asks the first node; step 1, only after a plain miss there, the fallback.
      const NodeId& node = fe.step == 0 ? plans.read.first : *plans.read.fallback;
      const std::optional<Item>& got = s.node[Index(node)];
      Log(log, s, who + "read: get " + node + " -> " + Describe(got));
      if (got) {
        r.version = (got->flags & kTombstoneFlag) ? kMiss : got->version;
        done = true;
      } else if (fe.step == 0 && plans.read.fallback) {
        fe.step = 1;
      } else {
        r.version = kMiss;
        done = true;
      }
    } else {
      const std::vector<Step>& steps = r.kind == OpKind::kWrite ? plans.write : plans.del;
      const Step& step = steps[fe.step];
      std::optional<Item>& slot = s.node[Index(step.node)];
      std::string what = r.kind == OpKind::kWrite ? "write v" + std::to_string(r.version) : std::string("delete");
      switch (step.kind) {
        case StepKind::kSet:
          slot = Item{r.version, 0};
          Log(log, s, who + what + ": set " + step.node);
          break;
        case StepKind::kAdd:
          if (!slot) slot = Item{r.version, 0};
          Log(log, s, who + what + ": add " + step.node);
          break;
        case StepKind::kDelete:
          slot.reset();
          Log(log, s, who + what + ": delete " + step.node);
          break;
        case StepKind::kTombstone:
          slot = Item{0, kTombstoneFlag};
          Log(log, s, who + what + ": tombstone " + step.node);
          break;
      }
      ++fe.step;
      done = fe.step == static_cast<int>(steps.size());
    }
    if (done) {
      r.ack = s.time;
      fe.step = 0;
      ++fe.next_op;
      if (r.kind == OpKind::kRead) Log(log, s, who + "read returns " + (r.version == kMiss ? "miss" : "v" + std::to_string(r.version)));
    }
  }

  void MoverStep(State& s, std::string* log) const {
    MoverState& m = s.mover;
    switch (m.stage) {
      case 0:
        Log(log, s, "mover: get " + p_.source + " -> " + Describe(s.node[0]));
        if (s.node[0]) {
          m.copied = *s.node[0];
          m.stage = 1;
        } else {
          m.stage = 3;  // not listed by the metadump: nothing to move
        }
        break;
      case 1:
        Log(log, s, "mover: add " + p_.destination + " " + Describe(m.copied) + (s.node[1] ? " (exists: not stored)" : ""));
        if (!s.node[1]) s.node[1] = m.copied;
        m.stage = 2;
        break;
      case 2:
        Log(log, s, "mover: delete " + p_.source);
        s.node[0].reset();
        m.stage = 3;
        break;
    }
  }

  // The rule, with version 0 as a write acknowledged at -1.
  bool IsStale(const State& s, const OpRecord& read) const {
    if (read.version == kMiss) return false;
    int written_ack = -1;
    for (int i = 0; i < s.op_count; ++i)
      if (s.ops[i].kind == OpKind::kWrite && s.ops[i].version == read.version) written_ack = s.ops[i].ack;
    for (int i = 0; i < s.op_count; ++i) {
      const OpRecord& x = s.ops[i];
      if (x.kind == OpKind::kRead || (x.kind == OpKind::kWrite && x.version == read.version)) continue;
      if (written_ack < x.begin && x.ack < read.begin) return true;
    }
    return false;
  }

  // A write that overlapped no other write or delete and came after all of them must be
  // what the new owner holds in the end; with no write or delete at all, version 0.
  bool Lost(const State& s, int final_version) const {
    int last = -1;
    for (int i = 0; i < s.op_count; ++i)
      if (s.ops[i].kind != OpKind::kRead && (last < 0 || s.ops[i].ack > s.ops[last].ack)) last = i;
    if (last < 0) return sc_.initially_present && final_version != 0;
    for (int i = 0; i < s.op_count; ++i)
      if (i != last && s.ops[i].kind != OpKind::kRead && s.ops[i].ack >= s.ops[last].begin) return false;
    return s.ops[last].kind == OpKind::kWrite && final_version != s.ops[last].version;
  }

  std::string Replay(const State& end) const {
    std::string log = std::string("  key starts ") + (sc_.initially_present ? "as v0 at a" : "absent") + "\n";
    State s = Initial();
    for (int i = 0; i < end.time; ++i) Apply(s, end.trace[i], &log);
    const std::optional<Item>& b = s.node[1];
    log += "  " + std::to_string(s.time) + ": after migration.done, read b -> " + Describe(b) + "\n";
    return log;
  }

  const Protocol& p_;
  const Scenario& sc_;
  int n_;
};

// Explores every scenario with `ops_per_frontend` operations for each of `frontends`
// frontends (every combination of read, write and delete), from both initial states.
Totals ExploreAll(bool reversed_commit, int frontends, int ops_per_frontend) {
  Protocol p = MakeProtocol(reversed_commit);
  Totals t;
  int per_frontend = 1;
  for (int i = 0; i < ops_per_frontend; ++i) per_frontend *= 3;
  int combos = 1;
  for (int f = 0; f < frontends; ++f) combos *= per_frontend;
  const OpKind kinds[] = {OpKind::kRead, OpKind::kWrite, OpKind::kDelete};
  for (bool present : {true, false}) {
    for (int c = 0; c < combos; ++c) {
      Scenario sc;
      sc.initially_present = present;
      int code = c;
      for (int f = 0; f < frontends; ++f) {
        std::vector<OpKind> ops;
        for (int i = 0; i < ops_per_frontend; ++i, code /= 3) ops.push_back(kinds[code % 3]);
        sc.ops.push_back(ops);
      }
      Model m(p, sc);
      m.Explore(m.Initial(), &t);
    }
  }
  return t;
}

Totals ExploreAndReport(const char* name, bool reversed_commit, int frontends, int ops_per_frontend) {
  auto start = std::chrono::steady_clock::now();
  Totals t = ExploreAll(reversed_commit, frontends, ops_per_frontend);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "%s: %lld traces in %.2f s; stale reads: %lld by frontends and %lld after migration.done, in %lld traces; "
      "%lld lost; %lld undrained\n",
      name, t.traces, s, t.stale_reads, t.stale_final_reads, t.stale_traces, t.lost, t.undrained);
  if (!t.example.empty()) std::printf("shortest trace with a stale read:\n%s", t.example.c_str());
  return t;
}

TEST(MigrationInterleaving, PlansAreThoseOfTheRoutingTable) {
  Protocol p = MakeProtocol(false);
  EXPECT_EQ(p.source, "a");
  EXPECT_EQ(p.destination, "b");
  EXPECT_EQ(p.plans[kPrepare].read.first, "a");
  EXPECT_FALSE(p.plans[kPrepare].read.fallback);
  EXPECT_EQ(p.plans[kCommit].read.first, "b");
  EXPECT_EQ(p.plans[kCommit].read.fallback, std::optional<NodeId>("a"));
  EXPECT_EQ(p.plans[kCommit].write.front(), (Step{StepKind::kDelete, "a"}));
  EXPECT_EQ(MakeProtocol(true).plans[kCommit].write.back(), (Step{StepKind::kDelete, "a"}));
}

TEST(MigrationInterleaving, NoStaleReadInAnyInterleaving) {
  Totals t = ExploreAndReport("two frontends, two operations each", false, 2, 2);
  EXPECT_GT(t.traces, 1'000'000);
  EXPECT_EQ(t.stale_reads, 0);
  EXPECT_EQ(t.stale_final_reads, 0);
  EXPECT_EQ(t.lost, 0);
  EXPECT_EQ(t.undrained, 0);
}

TEST(MigrationInterleaving, NoStaleReadWithThreeFrontends) {
  Totals t = ExploreAndReport("three frontends, one operation each", false, 3, 1);
  EXPECT_GT(t.traces, 1'000'000);
  EXPECT_EQ(t.stale_reads, 0);
  EXPECT_EQ(t.stale_final_reads, 0);
  EXPECT_EQ(t.lost, 0);
  EXPECT_EQ(t.undrained, 0);
}

TEST(MigrationInterleaving, ReversedCommitOrderFindsAStaleRead) {
  Totals t = ExploreAndReport("reversed commit order", true, 2, 2);
  EXPECT_GT(t.stale_reads, 0);
}

}  // namespace
}  // namespace mcscale
