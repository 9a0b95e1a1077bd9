#include "telemetry_upload.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "telemetry_collector.h"
#include "telemetry_http.h"

namespace ftconfig::telemetry {

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

// Exponential backoff with "equal jitter": half the step is fixed, half is
// random, so retrying clients spread out but never retry immediately.
int BackoffMs(int attempt, const UploadOptions& o, std::mt19937_64& rng) {
  double step = o.retry_base_ms * std::pow(2.0, std::max(0, attempt - 1));
  step = std::min(step, static_cast<double>(o.retry_max_ms));
  std::uniform_real_distribution<double> jitter(0.0, step / 2);
  return static_cast<int>(step / 2 + jitter(rng));
}

int RetryAfterMs(const HttpResponse& r) {
  auto it = r.headers.find("retry-after");
  if (it == r.headers.end()) return 0;
  const std::string& v = it->second;
  if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoi(v) * 1000;
}

}  // namespace

Result<UploadReport> Upload(Store& store, const UploadOptions& o) {
  FTCONFIG_ASSIGN_OR_RETURN(url, ParseUrl(o.url, "--to"));
  if (o.token.empty()) return Error{ErrorCode::kMissingField, "--token-env", "the bearer token is empty"};
  const std::string path = url.path == "/" ? std::string(kIngestPath) : url.path;
  std::signal(SIGPIPE, SIG_IGN);  // a receiver killed mid-request is retried, not fatal
  HttpClient client(url.origin, std::min(o.timeout_s, 10), o.timeout_s);
  std::mt19937_64 rng(std::random_device{}());
  const auto start = Clock::now();
  UploadReport rep;
  // Outbox bookkeeping need not wait for the disk: an acknowledgement undone
  // by a power loss only means the batch is sent again, and deduplicated.
  FTCONFIG_ASSIGN_OR_RETURN(nosync, store.SetFullSync(false));
  (void)nosync;
  FTCONFIG_ASSIGN_OR_RETURN(total, store.PendingCount());
  std::size_t batch = std::max<std::size_t>(1, o.batch);
  const bool show = o.progress && total > static_cast<std::int64_t>(batch);
  auto last_progress = start;
  auto progress = [&](bool final) {
    if (!show) return;
    if (!final && Seconds(last_progress) < 1.0) return;
    last_progress = Clock::now();
    std::int64_t done = rep.sent + rep.duplicates + rep.rejected;
    double el = Seconds(start);
    char line[256];
    std::snprintf(line, sizeof line, "ftconfig: upload: %lld/%lld events (%.0f%%), %lld retries, %.0f events/s",
                  static_cast<long long>(done), static_cast<long long>(total),
                  total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0,
                  static_cast<long long>(rep.retries), el > 0 ? static_cast<double>(done) / el : 0.0);
    std::cerr << line << std::endl;
  };

  int failures = 0;  // consecutive failed attempts of the current batch
  for (;;) {
    FTCONFIG_ASSIGN_OR_RETURN(items, store.PendingBatch(batch));
    if (items.empty()) break;
    // The stored bodies are compact JSON already: no re-encoding.
    std::string body = "{\"events\":[";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) body += ',';
      body += items[i].body;
    }
    body += "]}";
    HttpResponse res = client.Post(path, body, "application/json", o.token);
    rep.requests++;

    std::string retry_why;
    if (res.status == 0) {
      retry_why = "no answer from " + url.origin + " (" + res.error + ")";
    } else if (res.status == 408 || res.status == 425 || res.status == 429 || res.status >= 500) {
      retry_why = "HTTP " + std::to_string(res.status);
    } else if (res.status == 413) {
      if (items.size() > 1) {
        batch = std::max<std::size_t>(1, items.size() / 2);
        std::cerr << "ftconfig: upload: the receiver refused " << items.size() << " events as too large; batch now "
                  << batch << std::endl;
        continue;
      }
      FTCONFIG_ASSIGN_OR_RETURN(m, store.MarkRejected({{items[0].event_id, "too_large: the receiver refused the event's size"}}));
      (void)m;
      rep.rejected++;
      continue;
    } else if (res.status == 401 || res.status == 403) {
      rep.failure_code = "unauthorized";
      rep.failure = "the receiver refused the token (HTTP " + std::to_string(res.status) + ")";
      break;
    } else if (res.status != 200 && res.status != 400) {
      rep.failure_code = "protocol";
      rep.failure = "unexpected HTTP " + std::to_string(res.status) + " from the receiver";
      break;
    }

    if (!retry_why.empty()) {
      ++failures;
      if (failures > o.max_retries) {
        std::vector<std::string> ids;
        for (const auto& it : items) ids.push_back(it.event_id);
        store.CountAttempt(ids, retry_why);
        rep.failure_code = "unreachable";
        rep.failure = retry_why + "; gave up after " + std::to_string(o.max_retries) + " retries";
        break;
      }
      rep.retries++;
      int wait = std::max(BackoffMs(failures, o, rng), RetryAfterMs(res));
      std::cerr << "ftconfig: upload: " << retry_why << "; retry " << failures << "/" << o.max_retries << " in "
                << wait << " ms" << std::endl;
      std::this_thread::sleep_for(std::chrono::milliseconds(wait));
      continue;
    }

    // 200, or 400 with a per-event list: settle every event the receiver answered for.
    json answer = json::parse(res.body, nullptr, false);
    if (answer.is_discarded() || !answer.is_object() || !answer.contains("results") || !answer["results"].is_array()) {
      rep.failure_code = "protocol";
      std::string detail = answer.is_object() && answer.contains("error") ? answer["error"].dump() : res.body.substr(0, 200);
      rep.failure = "HTTP " + std::to_string(res.status) + " without per-event results: " + detail;
      break;
    }
    std::map<std::string, const json*> by_id;
    for (const auto& r : answer["results"])
      if (r.is_object() && r.contains("event_id") && r["event_id"].is_string())
        by_id[r["event_id"].get<std::string>()] = &r;
    std::vector<std::string> acks;
    std::vector<std::pair<std::string, std::string>> rejects;
    std::int64_t sent = 0, dups = 0;
    for (const auto& it : items) {
      auto f = by_id.find(it.event_id);
      if (f == by_id.end()) continue;  // not answered for: stays pending
      const json& r = *f->second;
      std::string status = r.value("status", "");
      if (status == "accepted" || status == "duplicate") {
        acks.push_back(it.event_id);
        (status == "accepted" ? sent : dups)++;
      } else if (status == "rejected") {
        std::string reason = "rejected";
        if (r.contains("error") && r["error"].is_object())
          reason = r["error"].value("code", "rejected") + " (" + r["error"].value("field", "") +
                   "): " + r["error"].value("message", "");
        rejects.emplace_back(it.event_id, reason);
      }
    }
    if (acks.empty() && rejects.empty()) {
      rep.failure_code = "protocol";
      rep.failure = "the receiver answered for none of the " + std::to_string(items.size()) + " events sent";
      break;
    }
    FTCONFIG_ASSIGN_OR_RETURN(a, store.Acknowledge(acks));
    FTCONFIG_ASSIGN_OR_RETURN(b, store.MarkRejected(rejects));
    (void)a;
    (void)b;
    for (const auto& [id, reason] : rejects) std::cerr << "ftconfig: upload: rejected " << id << ": " << reason << std::endl;
    rep.sent += sent;
    rep.duplicates += dups;
    rep.rejected += static_cast<std::int64_t>(rejects.size());
    rep.batches++;
    failures = 0;
    progress(false);
  }
  progress(true);
  FTCONFIG_ASSIGN_OR_RETURN(remaining, store.PendingCount());
  rep.remaining = remaining;
  rep.elapsed_s = Seconds(start);
  return rep;
}

}  // namespace ftconfig::telemetry
