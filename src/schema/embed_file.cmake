# cmake -DINPUT=file -DOUTPUT=file.cc -DSYMBOL=kName -P embed_file.cmake
# Writes a C++ source defining `extern const std::string_view SYMBOL` over the
# bytes of INPUT, so data files are part of the binary (nothing to find at run
# time). A byte array, not a string literal: -Wpedantic limits literal length.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
string(REGEX REPLACE "(('\\\\x[0-9a-f][0-9a-f]',){32})" "\\1\n" bytes "${bytes}")
get_filename_component(name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${name} by embed_file.cmake. Do not edit.
#include <string_view>
namespace warden::schema::embedded {
namespace {
const char kBytes[${size} + 1] = {
${bytes}'\\0'};
}  // namespace
extern const std::string_view ${SYMBOL};
const std::string_view ${SYMBOL}(kBytes, ${size});
}  // namespace warden::schema::embedded
")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
