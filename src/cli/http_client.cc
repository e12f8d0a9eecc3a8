#include "cli/http_client.h"

#include <curl/curl.h>

namespace warden::cli {
namespace {

size_t AppendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

}  // namespace

HttpClient::HttpClient(std::string base_url, bool insecure)
    : HttpClient(std::move(base_url), TlsTrust{.insecure = insecure, .ca_file = ""}) {}

HttpClient::HttpClient(std::string base_url, TlsTrust trust)
    : base_url_(std::move(base_url)), trust_(std::move(trust)), curl_(curl_easy_init()) {}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

StatusOr<HttpResult> HttpClient::Call(std::string_view method, std::string_view path,
                                      const std::vector<std::string>& headers,
                                      std::string_view body) {
  auto* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return Internal("cannot start an HTTP client");
  const std::string url = base_url_ + std::string(path);
  const std::string method_text(method);
  HttpResult result;
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, trust_.insecure ? 0L : 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, trust_.insecure ? 0L : 2L);
  if (!trust_.insecure && !trust_.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, trust_.ca_file.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    return Unavailable(std::string("cannot reach ") + base_url_ + ": " + curl_easy_strerror(rc));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

StatusOr<HttpResult> HttpCall(const std::string& base_url, std::string_view method,
                              std::string_view path, const std::vector<std::string>& headers,
                              std::string_view body, bool insecure) {
  HttpClient client(base_url, insecure);
  return client.Call(method, path, headers, body);
}

StatusOr<HttpResult> HttpCall(const std::string& base_url, std::string_view method,
                              std::string_view path, const std::vector<std::string>& headers,
                              std::string_view body, const TlsTrust& trust) {
  HttpClient client(base_url, trust);
  return client.Call(method, path, headers, body);
}

}  // namespace warden::cli
