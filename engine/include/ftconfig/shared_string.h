// A string that many corpus records hold alike (the task, adapter, model,
// optimizer ...): each distinct value is kept once for the whole process and
// a record holds 8 bytes instead of a 32-byte std::string and its heap copy
// (issue #21: a million records in under 1 GB). Reads like a const
// std::string; equal values share one address, so equality is a pointer
// comparison. Safe from several threads; the values are never freed.
#ifndef FTCONFIG_SHARED_STRING_H_
#define FTCONFIG_SHARED_STRING_H_

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>

namespace ftconfig {

class SharedString {
 public:
  SharedString() : s_(&Empty()) {}
  SharedString(const std::string& s) : s_(Intern(s)) {}  // NOLINT: implicit, as a std::string field was
  SharedString(const char* s) : s_(Intern(s)) {}         // NOLINT
  SharedString(std::string_view s) : s_(Intern(s)) {}    // NOLINT

  operator const std::string&() const { return *s_; }  // NOLINT
  const std::string& str() const { return *s_; }
  bool empty() const { return s_->empty(); }
  size_t size() const { return s_->size(); }
  const char* c_str() const { return s_->c_str(); }
  // The address of the kept value: equal for equal values.
  const std::string* id() const { return s_; }

  friend bool operator==(const SharedString& a, const SharedString& b) { return a.s_ == b.s_; }
  friend bool operator!=(const SharedString& a, const SharedString& b) { return a.s_ != b.s_; }
  friend bool operator<(const SharedString& a, const SharedString& b) { return *a.s_ < *b.s_; }
  friend bool operator==(const SharedString& a, const std::string& b) { return *a.s_ == b; }
  friend bool operator!=(const SharedString& a, const std::string& b) { return *a.s_ != b; }
  friend bool operator==(const std::string& a, const SharedString& b) { return a == *b.s_; }
  friend bool operator!=(const std::string& a, const SharedString& b) { return a != *b.s_; }
  friend bool operator==(const SharedString& a, const char* b) { return *a.s_ == b; }
  friend bool operator!=(const SharedString& a, const char* b) { return *a.s_ != b; }
  friend bool operator==(const char* a, const SharedString& b) { return a == *b.s_; }
  friend bool operator!=(const char* a, const SharedString& b) { return a != *b.s_; }
  friend std::string operator+(const SharedString& a, const std::string& b) { return *a.s_ + b; }
  friend std::string operator+(const std::string& a, const SharedString& b) { return a + *b.s_; }
  friend std::string operator+(const SharedString& a, const char* b) { return *a.s_ + b; }
  friend std::string operator+(const char* a, const SharedString& b) { return a + *b.s_; }
  friend std::string operator+(const SharedString& a, char b) { return *a.s_ + b; }
  friend std::string operator+(std::string&& a, const SharedString& b) { return std::move(a) + *b.s_; }
  friend std::ostream& operator<<(std::ostream& o, const SharedString& s) { return o << *s.s_; }

 private:
  static const std::string& Empty();
  static const std::string* Intern(std::string_view s);
  const std::string* s_;
};

// For nlohmann::json (found by argument-dependent lookup): written as its string.
template <typename Json>
void to_json(Json& j, const SharedString& s) {
  j = s.str();
}

}  // namespace ftconfig

#endif  // FTCONFIG_SHARED_STRING_H_
