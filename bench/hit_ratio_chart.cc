#include "bench/hit_ratio_chart.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace mcscale::bench {

namespace {

constexpr double kWidth = 960, kHeight = 480;
constexpr double kLeft = 70, kRight = 20, kTop = 40, kBottom = 60;

// A step of 1, 2 or 5 times a power of ten that gives about `ticks` ticks over `span`.
double NiceStep(double span, int ticks) {
  double raw = span / ticks;
  double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw * (1 - 1e-9)) return m * p;
  return 10 * p;
}

}  // namespace

std::string HitRatioChart::Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string HitRatioChart::Svg() const {
  double t_max = 1, y_low = 1;
  for (const auto& s : series_) {
    for (const auto& p : s.points) {
      t_max = std::max(t_max, p.t_s);
      y_low = std::min(y_low, p.ratio);
    }
    for (const auto& m : s.markers) t_max = std::max(t_max, m.t_s);
  }
  // A tenth of headroom below the lowest point (at least down to 0.95), on the tick grid.
  double padded = std::min(0.95, y_low - 0.1 * (1 - y_low));
  double y_step = NiceStep(1 - padded, 5);
  double y_min = std::max(0.0, std::floor(padded / y_step + 1e-9) * y_step);
  int decimals = std::max(2, static_cast<int>(std::ceil(-std::log10(y_step) - 1e-9)));
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto x = [&](double t) { return kLeft + t / t_max * plot_w; };
  auto y = [&](double r) { return kTop + (1 - (r - y_min) / (1 - y_min)) * plot_h; };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">{3}</text>\n",
      kWidth, kHeight, kWidth / 2, Escape(title_));

  // Grid, ticks and labels.
  for (double r = y_min; r <= 1 + 1e-9; r += y_step) {
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#e5e5e5\"/>\n"
                       "<text x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:.{6}f}</text>\n",
                       kLeft, y(r), kLeft + plot_w, kLeft - 6, y(r) + 4, r, decimals);
  }
  double x_step = NiceStep(t_max, 10);
  for (double t = 0; t <= t_max + 1e-9; t += x_step) {
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#000\"/>\n"
                       "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4:g}</text>\n",
                       x(t), kTop + plot_h, kTop + plot_h + 5, kTop + plot_h + 19, t);
  }
  svg += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#000\"/>\n"
                     "<line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" stroke=\"#000\"/>\n"
                     "<text x=\"{4}\" y=\"{5}\" text-anchor=\"middle\">seconds since the workload began</text>\n"
                     "<text x=\"18\" y=\"{6}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {6})\">"
                     "hit ratio per second</text>\n",
                     kLeft, kTop, kTop + plot_h, kLeft + plot_w, kLeft + plot_w / 2, kHeight - 12,
                     kTop + plot_h / 2);

  // Resize markers, then the lines on top.
  for (const auto& s : series_) {
    for (const auto& m : s.markers) {
      svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"{3}\" "
                         "stroke-dasharray=\"5,4\" opacity=\"0.7\"/>\n"
                         "<text x=\"{4:.1f}\" y=\"{5}\" fill=\"{3}\">{6}</text>\n",
                         x(m.t_s), kTop, kTop + plot_h, s.color, x(m.t_s) + 3, kTop + 12 + 14 * (&s - &series_[0]),
                         Escape(m.label));
    }
  }
  for (const auto& s : series_) {
    std::string d;
    double last_t = -10;
    for (const auto& p : s.points) {
      d += fmt::format("{}{:.1f},{:.1f} ", p.t_s - last_t > 1.5 ? "M" : "L", x(p.t_s), y(p.ratio));
      last_t = p.t_s;
    }
    if (!d.empty())
      svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\"/>\n", d, s.color);
  }

  // Legend, bottom right inside the plot.
  double ly = kTop + plot_h - 12 - 18 * static_cast<double>(series_.size() - 1);
  for (const auto& s : series_) {
    double lx = kLeft + plot_w - 330;
    svg += fmt::format("<rect x=\"{0:.1f}\" y=\"{1:.1f}\" width=\"320\" height=\"16\" fill=\"white\" opacity=\"0.85\"/>\n"
                       "<line x1=\"{2:.1f}\" y1=\"{3:.1f}\" x2=\"{4:.1f}\" y2=\"{3:.1f}\" stroke=\"{5}\" stroke-width=\"3\"/>\n"
                       "<text x=\"{6:.1f}\" y=\"{7:.1f}\">{8}</text>\n",
                       lx, ly - 12, lx + 4, ly - 4, lx + 28, s.color, lx + 34, ly, Escape(s.name));
    ly += 18;
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace mcscale::bench
