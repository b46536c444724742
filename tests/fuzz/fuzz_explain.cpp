// Build logs arrive as pasted text of any kind: the explain reader and ranking must survive
// any bytes (ANSI junk, binary, endless lines) without crashing.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "nix_builder_doctor/engine/rule_loader.hpp"
#include "nix_builder_doctor/explain/analyzer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const nbd::explain::Explainer explainer(nbd::engine::load_builtin_rules().rules);
    std::istringstream log(std::string(reinterpret_cast<const char*>(data), size));
    const auto result = explainer.explain(log);
    (void)result;
    return 0;
}
