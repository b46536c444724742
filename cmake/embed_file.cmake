# Writes OUT: a C++ file defining `const std::string& nbd::engine::FUNCTION()` that returns the
# text of FILE (used for src/facts/facts-schema.json; rules/*.json go through embed_rules.cmake).
file(READ ${FILE} text HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" text "${text}")
set(body "#include \"nix_builder_doctor/engine/embedded_rules.hpp\"\nnamespace nbd::engine {\nconst std::string& ${FUNCTION}() {\n  static const std::string text(\"${text}\", sizeof(\"${text}\") - 1);\n  return text;\n}\n}  // namespace nbd::engine\n")
file(WRITE ${OUT}.tmp "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
