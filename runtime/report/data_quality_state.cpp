// Defines FromState (data_quality.h): the data-quality queue's history read from a state file
// (runtime/state/report_book.h) and turned into the stays Compute takes.
#include "runtime/report/data_quality.h"
#include "runtime/state/report_book.h"
#include "runtime/value/value.h"

namespace crmx::report {

bool ParseTime(const std::string& text, int64_t& out) {
  value::Time t;
  if (text.empty() || !value::ParseTimestamp(text, t)) return false;
  out = t.seconds;
  return true;
}

bool FromState(state::StateStore& store, const std::vector<std::string>& maps, const Options& o, DataQualityReport& out,
               std::string& error) {
  int64_t from = o.now - static_cast<int64_t>(o.weeks) * 7 * 24 * 3600;
  state::QueueHistory h;
  if (!state::LoadQueueHistory(store, "data_quality", maps, TimeText(from), TimeText(o.now), h, error)) return false;
  auto bad_time = [&](const std::string& what, const std::string& text) {
    error = "state " + store.path() + ": " + what + " `" + text + "` is not an RFC 3339 time";
    return false;
  };
  std::vector<Stay> stays;
  for (const state::StayRow& s : h.stays) {
    Stay x;
    x.map = s.map;
    x.record_id = s.record_id;
    x.reasons = s.reasons;
    x.fields = s.fields;
    if (!ParseTime(s.entered, x.entered)) return bad_time("the start of run " + std::to_string(s.entered_run), s.entered);
    x.how = s.how.empty()         ? Left::kNot
            : s.how == "fixed"    ? Left::kFixed
            : s.how == "moved"    ? Left::kMoved
            : s.how == "replayed" ? Left::kReplayed
            : s.how == "resolved" ? Left::kResolved
                                  : Left::kDiscarded;
    if (x.how != Left::kNot && !ParseTime(s.left, x.left))
      return bad_time("when item " + std::to_string(s.item) + " left the queue", s.left);
    x.moved_to = s.moved_to;
    stays.push_back(std::move(x));
  }
  std::vector<int64_t> starts;
  for (const std::string& t : h.run_starts) {
    int64_t sec = 0;
    if (!ParseTime(t, sec)) return bad_time("a run's start", t);
    starts.push_back(sec);
  }
  int64_t first = 0;
  if (!h.first_run_started.empty() && !ParseTime(h.first_run_started, first))
    return bad_time("the first run's start", h.first_run_started);
  out = Compute(stays, starts, first, h.runs, o);
  return true;
}

}  // namespace crmx::report
