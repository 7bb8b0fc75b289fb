// HitRatioChart: the per-second hit ratio of one or more resize runs as one SVG line chart
// (axes with ticks, a line per run, each run's resizes as dashed markers in its colour, a
// legend, and a zoomed panel when a run dips deep), written by hand so the benchmark needs
// no plotting library. Pure: builds text.
//
// Not thread-safe; build, then render.
#ifndef MCSCALE_BENCH_HIT_RATIO_CHART_H_
#define MCSCALE_BENCH_HIT_RATIO_CHART_H_

#include <string>
#include <vector>

namespace mcscale::bench {

struct ChartPoint {
  double t_s = 0;    // seconds since the run began
  double ratio = 0;  // 0..1
};

struct ChartMarker {
  double t_s = 0;
  std::string label;  // e.g. "3→4"
};

struct ChartSeries {
  std::string name;   // legend text
  std::string color;  // SVG colour, e.g. "#1f77b4"
  std::vector<ChartPoint> points;  // by time; a gap of more than 1.5 s breaks the line
  std::vector<ChartMarker> markers;
};

class HitRatioChart {
 public:
  explicit HitRatioChart(std::string title) : title_(std::move(title)) {}
  void Add(ChartSeries series) { series_.push_back(std::move(series)); }
  // A line of small print under the x axis (e.g. what the gaps in the lines are).
  void SetNote(std::string note) { note_ = std::move(note); }
  // The whole SVG document. The y axis runs from a tenth below the lowest point (at least
  // down to 0.95, never below 0) to 1; when that is below 0.9, a second panel beneath shows
  // 0.95..1 so small dips stay visible. The x axis runs from 0 to the latest point or marker.
  std::string Svg() const;

  // Escapes &, <, > and " for SVG text.
  static std::string Escape(const std::string& text);

 private:
  std::string title_;
  std::string note_;
  std::vector<ChartSeries> series_;
};

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_HIT_RATIO_CHART_H_
