// The file service's web page (GET /): upload a file under a key, look a key up and see the
// file (images inline), list the keys. Self-contained HTML, CSS and JavaScript: no
// request leaves the service.
#ifndef MCSCALE_FRONTEND_FILE_SERVICE_FILE_PAGE_H_
#define MCSCALE_FRONTEND_FILE_SERVICE_FILE_PAGE_H_

#include <string_view>

namespace mcscale {

std::string_view FilePage();

}  // namespace mcscale

#endif  // MCSCALE_FRONTEND_FILE_SERVICE_FILE_PAGE_H_
