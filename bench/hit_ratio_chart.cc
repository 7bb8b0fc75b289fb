#include "bench/hit_ratio_chart.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace mcscale::bench {

namespace {

constexpr double kWidth = 960, kHeight = 480;
constexpr double kLeft = 70, kRight = 20, kTop = 62, kBottom = 60;

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

namespace {

struct Panel {
  double top = 0, height = 0;  // pixels
  double y_min = 0, y_step = 0.01;
  int decimals = 2;
  std::string label;  // the y axis
};

// y_min and the tick step for a panel whose lowest point is `y_low`: a tenth of headroom
// below it (at least down to 0.95), on the tick grid.
Panel FitPanel(double y_low) {
  Panel p;
  double padded = std::min(0.95, y_low - 0.1 * (1 - y_low));
  p.y_step = NiceStep(1 - padded, 5);
  p.y_min = std::max(0.0, std::floor(padded / p.y_step + 1e-9) * p.y_step);
  p.decimals = std::max(2, static_cast<int>(std::ceil(-std::log10(p.y_step) - 1e-9)));
  return p;
}

}  // namespace

std::string HitRatioChart::Svg() const {
  double t_max = 1, y_low = 1;
  for (const auto& s : series_) {
    for (const auto& p : s.points) {
      t_max = std::max(t_max, p.t_s);
      y_low = std::min(y_low, p.ratio);
    }
    for (const auto& m : s.markers) t_max = std::max(t_max, m.t_s);
  }
  std::vector<Panel> panels = {FitPanel(y_low)};
  panels[0].label = "hit ratio per second";
  // A deep dip flattens everything near 1: add a panel zoomed to 0.95..1 beneath.
  if (panels[0].y_min < 0.9) {
    Panel zoom;
    zoom.y_min = 0.95;
    zoom.y_step = 0.01;
    zoom.label = "zoom: 0.95 to 1";
    panels.push_back(zoom);
  }
  const double gap = 45, zoom_h = 170;
  const double plot_w = kWidth - kLeft - kRight;
  const double plot_h = kHeight - kTop - kBottom - (panels.size() == 2 ? 80 : 0);
  const double height = kHeight + (panels.size() == 2 ? gap + zoom_h - 80 : 0);
  panels[0].top = kTop;
  panels[0].height = plot_h;
  if (panels.size() == 2) {
    panels[1].top = kTop + plot_h + gap;
    panels[1].height = zoom_h;
  }
  auto x = [&](double t) { return kLeft + t / t_max * plot_w; };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">{3}</text>\n",
      kWidth, height, kWidth / 2, Escape(title_));

  for (size_t pi = 0; pi < panels.size(); ++pi) {
    const Panel& p = panels[pi];
    const double bottom = p.top + p.height;
    auto y = [&](double r) { return p.top + (1 - (r - p.y_min) / (1 - p.y_min)) * p.height; };
    svg += fmt::format("<clipPath id=\"panel{}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath>\n", pi,
                       kLeft, p.top - 2, plot_w, p.height + 4);
    // Grid, ticks and labels.
    for (double r = p.y_min; r <= 1 + 1e-9; r += p.y_step) {
      svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#e5e5e5\"/>\n"
                         "<text x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:.{6}f}</text>\n",
                         kLeft, y(r), kLeft + plot_w, kLeft - 6, y(r) + 4, r, p.decimals);
    }
    double x_step = NiceStep(t_max, 10);
    for (double t = 0; t <= t_max + 1e-9; t += x_step) {
      svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#000\"/>\n"
                         "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4:g}</text>\n",
                         x(t), bottom, bottom + 5, bottom + 19, t);
    }
    svg += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#000\"/>\n"
                       "<line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" stroke=\"#000\"/>\n"
                       "<text x=\"18\" y=\"{4}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {4})\">{5}</text>\n",
                       kLeft, p.top, bottom, kLeft + plot_w, p.top + p.height / 2, Escape(p.label));

    // Resize markers, then the lines on top.
    for (size_t si = 0; si < series_.size(); ++si) {
      const auto& s = series_[si];
      for (const auto& m : s.markers) {
        svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"{3}\" "
                           "stroke-dasharray=\"5,4\" opacity=\"0.7\"/>\n",
                           x(m.t_s), p.top, bottom, s.color);
        if (pi == 0)
          svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" fill=\"{}\">{}</text>\n", x(m.t_s) + 3,
                             p.top + 12 + 14 * static_cast<double>(si), s.color, Escape(m.label));
      }
    }
    for (const auto& s : series_) {
      std::string d;
      double last_t = -10;
      for (const auto& pt : s.points) {
        d += fmt::format("{}{:.1f},{:.1f} ", pt.t_s - last_t > 1.5 ? "M" : "L", x(pt.t_s), y(pt.ratio));
        last_t = pt.t_s;
      }
      if (!d.empty())
        svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\" clip-path=\"url(#panel{})\"/>\n",
                           d, s.color, pi);
    }
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">seconds since the workload began</text>\n",
                     kLeft + plot_w / 2, height - 28);
  if (!note_.empty())
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#555\">{}</text>\n",
                       kLeft + plot_w / 2, height - 10, Escape(note_));

  // Legend: one row between the title and the plot.
  double lx = kLeft;
  for (const auto& s : series_) {
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"40\" x2=\"{1:.1f}\" y2=\"40\" stroke=\"{2}\" stroke-width=\"3\"/>\n"
                       "<text x=\"{3:.1f}\" y=\"44\">{4}</text>\n",
                       lx, lx + 24, s.color, lx + 30, Escape(s.name));
    lx += 60 + 7.0 * static_cast<double>(s.name.size());
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace mcscale::bench
