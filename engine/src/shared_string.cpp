#include "ftconfig/shared_string.h"

#include <deque>
#include <mutex>
#include <unordered_map>

namespace ftconfig {

const std::string& SharedString::Empty() {
  static const std::string* empty = new std::string();
  return *empty;
}

// Never freed: records may outlive any engine. Looked up by view, so a value
// already kept costs no allocation.
const std::string* SharedString::Intern(std::string_view s) {
  if (s.empty()) return &Empty();
  static std::mutex* mutex = new std::mutex();
  static auto* values = new std::deque<std::string>();
  static auto* index = new std::unordered_map<std::string_view, const std::string*>();
  std::lock_guard<std::mutex> lock(*mutex);
  auto it = index->find(s);
  if (it != index->end()) return it->second;
  const std::string* kept = &values->emplace_back(s);
  index->emplace(*kept, kept);
  return kept;
}

}  // namespace ftconfig
