// DashboardAssets: the manager dashboard's files (page, script, stylesheet and the uPlot
// charting library from vendor/), embedded in the binary at build time by
// embed_assets.cmake, so the coordinator serves every asset itself with no network access
// and no files beside the binary.
//
// Thread-safe: the table is built once and never changes.
#ifndef MCSCALE_COORDINATOR_DASHBOARD_DASHBOARD_ASSETS_H_
#define MCSCALE_COORDINATOR_DASHBOARD_DASHBOARD_ASSETS_H_

#include <cstddef>
#include <vector>

namespace mcscale {

struct DashboardAsset {
  const char* path;           // the URL path it is served at: "/", "/dashboard.js", ...
  const char* content_type;   // "text/html; charset=utf-8", ...
  const unsigned char* data;  // the file's bytes; static storage
  size_t size;
};

// Every embedded file, in the order the build listed them.
const std::vector<DashboardAsset>& DashboardAssets();

}  // namespace mcscale

#endif  // MCSCALE_COORDINATOR_DASHBOARD_DASHBOARD_ASSETS_H_
