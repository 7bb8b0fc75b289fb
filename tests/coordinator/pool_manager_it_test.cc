// PoolManager against a real redis-server with a fake provider (no processes): what a grow
// that fails part-way gives back.
#include "coordinator/pool_manager.h"

#include <functional>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "tests/harness/test_servers.h"

namespace mcscale {
namespace {

using testing::RedisServer;

// Hands out addresses without starting anything; remembers what runs. `on_start` runs
// before each start and may make it fail (or break something else).
class FakeProvider : public NodeProvider {
 public:
  std::string name() const override { return "fake"; }
  Result<std::string> Start(const NodeId& id, const PoolConfig&) override {
    ++starts_;
    if (on_start) {
      Status st = on_start(starts_);
      if (!st.ok()) return st;
    }
    std::string address = "127.0.0.1:" + std::to_string(30000 + starts_);
    running_[id] = address;
    return address;
  }
  Status Stop(const NodeId& id) override {
    running_.erase(id);
    return Status::Ok();
  }
  Result<std::map<NodeId, std::string>> Adopt() override { return running_; }
  bool RestartAgent(const NodeId&) override { return true; }
  std::set<NodeId> Nodes() const override {
    std::set<NodeId> out;
    for (const auto& [id, _] : running_) out.insert(id);
    return out;
  }

  // Called with the number of this start (1, 2, ...).
  std::function<Status(int)> on_start;

 private:
  int starts_ = 0;
  std::map<NodeId, std::string> running_;
};

class PoolManagerIt : public ::testing::Test {
 protected:
  PoolManagerIt()
      : redis_client_(*RedisAddress::Parse(redis_.url()), 2000),
        keys_("mcscale"),
        manager_(&redis_client_, keys_, &provider_, &clock_) {}

  void SetUp() override {
    ASSERT_TRUE(manager_.Load().ok());
    ASSERT_TRUE(manager_.Resize(2, config_, "two nodes to start with").ok());
    ASSERT_EQ(provider_.Nodes().size(), 2u);
    epoch_ = manager_.pool().epoch;
  }

  // The pool as Redis holds it.
  std::optional<PoolState> Stored() {
    auto hash = redis_client_.HGetAll(keys_.pool());
    if (!hash.ok() || hash->empty()) return std::nullopt;
    auto state = PoolState::FromHash(*hash);
    if (!state.ok()) return std::nullopt;
    return *state;
  }

  RedisServer redis_;
  RedisClient redis_client_;
  RedisKeys keys_;
  FakeClock clock_;
  FakeProvider provider_;
  PoolConfig config_;
  PoolManager manager_;
  int64_t epoch_ = 0;
};

TEST_F(PoolManagerIt, NodeIdFailingPartWayStopsTheNodesTheGrowStarted) {
  // After the first new node started, the id counter stops being a number: the next INCR
  // fails.
  provider_.on_start = [&](int start) {
    if (start == 3) (void)redis_client_.Command({"SET", keys_.node_seq(), "not-a-number"});
    return Status::Ok();
  };
  Status st = manager_.Resize(5, config_, "grow by three");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no node id"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("stopped the 1 node(s)"), std::string::npos) << st.ToString();
  EXPECT_EQ(provider_.Nodes(), (std::set<NodeId>{"node-1", "node-2"})) << "node-3 was given back";
  EXPECT_EQ(manager_.pool().epoch, epoch_);
  EXPECT_EQ(Stored()->epoch, epoch_);
  EXPECT_EQ(Stored()->nodes.size(), 2u);
}

TEST_F(PoolManagerIt, StartFailingPartWayStopsTheNodesTheGrowStarted) {
  provider_.on_start = [](int start) { return start == 5 ? Status::Io("no free port") : Status::Ok(); };
  Status st = manager_.Resize(5, config_, "grow by three");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no free port"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("stopped the 2 node(s)"), std::string::npos) << st.ToString();
  EXPECT_EQ(provider_.Nodes(), (std::set<NodeId>{"node-1", "node-2"}));
  EXPECT_EQ(manager_.pool().epoch, epoch_);
}

TEST_F(PoolManagerIt, PoolWriteFailingStopsEveryNodeTheGrowStarted) {
  // Redis goes away while the last node starts: the new pool cannot be written.
  provider_.on_start = [&](int start) {
    if (start == 4) redis_.Stop();
    return Status::Ok();
  };
  Status st = manager_.Resize(4, config_, "grow by two");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("not saved"), std::string::npos) << st.ToString();
  EXPECT_EQ(provider_.Nodes(), (std::set<NodeId>{"node-1", "node-2"}));
  EXPECT_EQ(manager_.pool().epoch, epoch_);
  redis_.Start();
  ASSERT_TRUE(testing::WaitUntil([&] { return Stored().has_value(); }, 20000));
  EXPECT_EQ(Stored()->epoch, epoch_) << "the grow left no trace in Redis";
}

TEST_F(PoolManagerIt, FailedReplacementOfTheLastNodeIsStoppedAgain) {
  ASSERT_TRUE(manager_.Resize(1, config_, "down to one").ok());
  std::set<NodeId> drained;
  ASSERT_TRUE(manager_.FinishMigration("test", &drained).ok());
  manager_.RetireNodes(drained);
  ASSERT_EQ(provider_.Nodes(), (std::set<NodeId>{"node-1"}));
  // The last node fails; Redis goes away while its replacement starts.
  provider_.on_start = [&](int) {
    redis_.Stop();
    return Status::Ok();
  };
  std::set<NodeId> leaving;
  Status st = manager_.NodeFailed("node-1", config_, "node-1 unreachable", &leaving);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("stopped the replacement node node-3"), std::string::npos) << st.ToString();
  EXPECT_EQ(provider_.Nodes(), (std::set<NodeId>{"node-1"})) << "the replacement was given back";
}

TEST_F(PoolManagerIt, GrowThatWorksKeepsItsNodes) {
  ASSERT_TRUE(manager_.Resize(3, config_, "grow by one").ok());
  EXPECT_EQ(provider_.Nodes().size(), 3u);
  EXPECT_EQ(Stored()->epoch, epoch_ + 1);
}

}  // namespace
}  // namespace mcscale
