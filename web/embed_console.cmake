# cmake -DINPUT_DIR=web/console -DOUTPUT=console_assets.cc -P embed_console.cmake
# Writes a C++ source defining warden::api::ConsoleAssets() over every file
# of INPUT_DIR (not recursive), so the web console is part of the binary and
# nothing is read from disk at run time. Only names of [a-z0-9._-] with an
# extension the server knows a Content-Type for are accepted; anything else
# in the folder stops the build rather than being served or silently left out.
file(GLOB paths LIST_DIRECTORIES false "${INPUT_DIR}/*")
list(SORT paths)
set(arrays "")
set(entries "")
set(index 0)
foreach(path IN LISTS paths)
  get_filename_component(name "${path}" NAME)
  if(NOT name MATCHES "^[a-z0-9][a-z0-9._-]*\\.(html|js|css|svg)$")
    message(FATAL_ERROR "embed_console: ${name}: not a console file name (a-z0-9._- with .html .js .css .svg)")
  endif()
  file(READ "${path}" hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR size "${hex_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  string(REGEX REPLACE "(('\\\\x[0-9a-f][0-9a-f]',){24})" "\\1\n" bytes "${bytes}")
  string(APPEND arrays "// ${name}\nconst char kAsset${index}[${size} + 1] = {\n${bytes}'\\0'};\n")
  string(APPEND entries "    {\"${name}\", std::string_view(kAsset${index}, ${size})},\n")
  math(EXPR index "${index} + 1")
endforeach()
if(index EQUAL 0)
  message(FATAL_ERROR "embed_console: no files in ${INPUT_DIR}")
endif()
file(WRITE "${OUTPUT}.tmp"
"// Generated from web/console by web/embed_console.cmake. Do not edit.
#include \"api/console_routes.h\"

namespace warden::api {
namespace {
${arrays}
const ConsoleAsset kAssets[] = {
${entries}};
}  // namespace

std::span<const ConsoleAsset> ConsoleAssets() { return kAssets; }

}  // namespace warden::api
")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
