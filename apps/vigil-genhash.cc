// vigil-genhash: prints the MD5 digest of a web page's body, for HTTP_GET / SSL_GET `digest`.
//   vigil-genhash --url http://127.0.0.1:8080/path [--ssl] [--virtualhost H]
#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <cstdio>
#include <string>

#include "check/genhash.h"

int main(int argc, char** argv) {
  vigil::check::GenHashOptions opts;
  std::string protocol = "1.0";
  double timeout_s = 5;
  CLI::App app{"Print the MD5 digest of a URL's body, as HTTP_GET/SSL_GET checks compute it"};
  app.add_option("-u,--url", opts.url, "http://IP[:PORT]/PATH or https://...")->required();
  app.add_flag("-S,--ssl", opts.ssl, "use TLS even for an http:// URL");
  app.add_option("-V,--virtualhost", opts.virtualhost, "Host header (and TLS SNI)");
  app.add_option("-r,--protocol", protocol, "HTTP protocol: 1.0, 1.0C or 1.1")
      ->check(CLI::IsMember({"1.0", "1.0C", "1.0c", "1.1"}));
  app.add_option("-t,--timeout", timeout_s, "seconds per network step")->check(CLI::PositiveNumber);
  app.add_option("-b,--bindto", opts.bind_address, "source address");
  CLI11_PARSE(app, argc, argv);
  opts.version = protocol == "1.1"   ? vigil::check::HttpVersion::k11
                 : protocol == "1.0" ? vigil::check::HttpVersion::k10
                                     : vigil::check::HttpVersion::k10Close;
  opts.timeout = std::chrono::duration_cast<vigil::Duration>(std::chrono::duration<double>(timeout_s));

  asio::io_context io;
  auto digest = vigil::check::GenHash(io, opts);
  if (!digest) {
    std::fprintf(stderr, "vigil-genhash: %s\n", digest.error().ToString().c_str());
    return 1;
  }
  std::printf("%s\n", digest->c_str());
  return 0;
}
