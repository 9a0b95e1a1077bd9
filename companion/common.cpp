#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "ftconfig/json_text.h"

namespace ftconfig::cli {

int ReportError(const Error& error) {
  nlohmann::json j = {{"error", ErrorObject(error)}};
  std::cout << j.dump() << std::endl;
  std::cerr << "ftconfig: " << (error.field.empty() ? std::string() : error.field + ": ") << error.message
            << std::endl;
  return 2;
}

void ProgressLog::operator()(const std::string& line) const {
  if (quiet_) return;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "[%6.1fs] ", s);
  std::cerr << buf << line << std::endl;
}

int RunGuarded(const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return ReportError({ErrorCode::kInternal, "", std::string("internal error: ") + e.what()});
  } catch (...) {
    return ReportError({ErrorCode::kInternal, "", "internal error"});
  }
}

Result<std::string> ReadInput(const std::string& path, const std::string& field) {
  std::ostringstream ss;
  if (path.empty() || path == "-") {
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{ErrorCode::kInvalidValue, field, "cannot read file \"" + path + "\""};
  ss << in.rdbuf();
  return ss.str();
}

Result<bool> WriteOutputFile(const std::string& path, const std::string& text, const std::string& field) {
  const std::string tmp = path + ".ftconfig-tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out || !(out << text) || !out.flush()) {
      std::remove(tmp.c_str());
      return Error{ErrorCode::kInvalidValue, field, "cannot write \"" + path + "\""};
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Error{ErrorCode::kInvalidValue, field, "cannot write \"" + path + "\""};
  }
  return true;
}

std::optional<std::string> PipedStdin() {
  struct stat st {};
  if (::isatty(STDIN_FILENO) || ::fstat(STDIN_FILENO, &st) != 0) return std::nullopt;
  if (!S_ISFIFO(st.st_mode) && !S_ISREG(st.st_mode)) return std::nullopt;
  std::ostringstream ss;
  ss << std::cin.rdbuf();
  std::string text = ss.str();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return std::nullopt;
  return text;
}

}  // namespace ftconfig::cli
