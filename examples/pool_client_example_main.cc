// Runs the README's example (pool_client_example.cc) against a pool:
//   build/bin/pool_client_example redis://127.0.0.1:6379
#include <string>

int RunExample(const std::string& redis_url);

int main(int argc, char** argv) { return RunExample(argc > 1 ? argv[1] : "redis://127.0.0.1:6379"); }
