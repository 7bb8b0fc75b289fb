// FastRng: a small, fast, seedable pseudo-random generator (xoshiro256**, seeded through
// splitmix64) for choosing keys and operations. The same seed gives the same sequence, so
// two targets compared in one run see the same load. Not cryptographic.
//
// Not thread-safe: one generator per load thread.
#ifndef MCSCALE_BENCH_FAST_RNG_H_
#define MCSCALE_BENCH_FAST_RNG_H_

#include <cstdint>

namespace mcscale::bench {

class FastRng {
 public:
  explicit FastRng(uint64_t seed) {
    for (auto& word : s_) word = SplitMix(&seed);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n). REQUIRES: n > 0. (Lemire's multiply-shift; the bias is below 2^-40
  // for the key counts the bench allows.)
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }

  // Uniform in [0, 1).
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Mixes a seed and a stream number (thread, round) into an independent seed.
  static uint64_t Derive(uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0x9E3779B97F4A7C15ULL);
    return SplitMix(&x);
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix(uint64_t* state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  uint64_t s_[4];
};

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_FAST_RNG_H_
