// How many runs expected improvement (ftconfig suggest's Gaussian process)
// needs to reach a target on synthetic objectives, against random search.
// A benchmark, not a test: prints a Markdown table (docs/planning.md).
//   build/bin/ftconfig_bench_suggest [--seeds 10]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "suggest.h"

namespace {

using ftconfig::suggest::Dim;
using ftconfig::suggest::Propose;
using ftconfig::suggest::Space;
using Point = std::vector<double>;

struct Objective {
  const char* name;
  const char* formula;
  std::function<double(const Point&)> f;
  double target;
};

constexpr double kPi = 3.14159265358979323846;

std::vector<Objective> Objectives() {
  const double c[4] = {0.7, 0.3, 0.55, 0.2};
  return {
      {"bowl", "sum (x_i - c_i)^2, 4 dims", [c](const Point& x) {
         double s = 0;
         for (int i = 0; i < 4; ++i) s += (x[i] - c[i]) * (x[i] - c[i]);
         return s;
       }, 0.05},
      {"rippled bowl", "sum 4 (x_i - c_i)^2 + 0.1 (1 - cos 6 pi (x_i - c_i)), 4 dims", [c](const Point& x) {
         double s = 0;
         for (int i = 0; i < 4; ++i) s += 4 * (x[i] - c[i]) * (x[i] - c[i]) + 0.1 * (1 - std::cos(6 * kPi * (x[i] - c[i])));
         return s;
       }, 0.3},
      {"branin", "Branin on x_0, x_1 (x_2, x_3 ignored); minimum 0.398", [](const Point& x) {
         double a = 15 * x[0] - 5, b = 15 * x[1];
         double t = b - 5.1 / (4 * kPi * kPi) * a * a + 5 / kPi * a - 6;
         return t * t + 10 * (1 - 1 / (8 * kPi)) * std::cos(a) + 10;
       }, 0.398 + 1.0},
  };
}

Point RandomPoint(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  return {u(rng), u(rng), u(rng), u(rng)};
}

// Runs until the objective is at most its target, or `cap` runs (then cap + 1).
int RandomSearch(const Objective& o, uint64_t seed, int cap) {
  std::mt19937_64 rng(seed);
  for (int n = 1; n <= cap; ++n)
    if (o.f(RandomPoint(rng)) <= o.target) return n;
  return cap + 1;
}

int ExpectedImprovement(const Objective& o, const Space& space, uint64_t seed, int cap, int initial) {
  std::mt19937_64 rng(seed);  // the same first points as random search
  std::vector<Point> tried;
  std::vector<double> y;
  for (int n = 1; n <= cap; ++n) {
    Point x;
    if (n <= initial) {
      x = RandomPoint(rng);
    } else {
      auto s = Propose(space, tried, y, 1, [](const Point&) { return true; }, seed * 1000 + n, 500);
      if (s.empty()) return cap + 1;
      x = s.front().values;
    }
    double v = o.f(x);
    if (v <= o.target) return n;
    tried.push_back(x);
    y.push_back(v);
  }
  return cap + 1;
}

double Median(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string Summary(const std::vector<int>& runs, int cap) {
  int reached = 0;
  for (int r : runs) reached += r <= cap;
  char buf[96];
  double m = Median(runs);
  if (m > cap)
    std::snprintf(buf, sizeof buf, "> %d | %d/%zu", cap, reached, runs.size());
  else
    std::snprintf(buf, sizeof buf, "%g | %d/%zu", m, reached, runs.size());
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  int seeds = 10;
  for (int i = 1; i + 1 < argc; ++i)
    if (!std::strcmp(argv[i], "--seeds")) seeds = std::max(1, std::atoi(argv[i + 1]));
  const int ei_cap = 60, random_cap = 300, initial = 3;
  Space space;
  for (int i = 0; i < 4; ++i) space.dims.push_back(Dim{"x" + std::to_string(i), 0, 1, false, false, 0});
  std::printf("| objective | target | expected improvement: median runs | reached | random search: median runs | reached |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const Objective& o : Objectives()) {
    std::vector<int> ei, rnd;
    for (int s = 0; s < seeds; ++s) {
      ei.push_back(ExpectedImprovement(o, space, 100 + s, ei_cap, initial));
      rnd.push_back(RandomSearch(o, 100 + s, random_cap));
    }
    std::printf("| %s: %s | %g | %s | %s |\n", o.name, o.formula, o.target, Summary(ei, ei_cap).c_str(),
                Summary(rnd, random_cap).c_str());
  }
  std::printf("\n%d seeds; expected improvement starts from %d random points (the same as random search's first %d) "
              "and stops at %d runs, random search at %d; 500 candidates per proposal.\n",
              seeds, initial, initial, ei_cap, random_cap);
  return 0;
}
