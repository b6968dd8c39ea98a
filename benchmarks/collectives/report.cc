#include "report.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <map>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ringtail::bench {
namespace {

constexpr double kGB = 1e9;  // bandwidths in GB/s as nccl-tests prints them

std::string fixed(double v, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << v;
  return out.str();
}

std::ofstream open_or_throw(const std::string& path) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write " + path);
  return out;
}

}  // namespace

void print_header(std::ostream& out, const RunInfo& info, const Options& o, Collective op) {
  out << "# ringtail-bench collectives: " << to_string(op) << ", " << info.ranks << " ranks on "
      << info.hosts << (info.hosts == 1 ? " host" : " hosts") << ", " << coll::to_string(o.type)
      << " " << coll::to_string(o.reduce) << ", warm-up " << o.warmup << ", iterations up to "
      << o.iterations << " (budget " << o.budget_seconds << " s per size)";
  if (o.rounds > 1) out << ", median of " << o.rounds << " interleaved rounds";
  out << "\n";
  if (!info.load_average.empty()) {
    out << "# load average at the start (1, 5, 15 min): " << info.load_average
        << " on a machine with " << std::thread::hardware_concurrency() << " cores\n";
  }
  if (info.copy.all_ranks > 0) {
    out << "# memcpy bandwidth (read+write): one rank " << fixed(info.copy.one_rank / kGB, 2)
        << " GB/s, all ranks of a host together " << fixed(info.copy.all_ranks / kGB, 2) << " GB/s\n";
  }
  out << "#\n"
      << "# " << std::setw(10) << "size(B)" << std::setw(11) << "count" << "  "
      << std::left << std::setw(40) << "contender" << std::right << std::setw(12) << "time(us)"
      << std::setw(13) << "algbw(GB/s)" << std::setw(13) << "busbw(GB/s)" << std::setw(8)
      << "%bound" << std::setw(11) << "model(us)" << std::setw(7) << "err%" << std::setw(8)
      << "#wrong" << "\n";
}

void print_row(std::ostream& out, const Row& r) {
  out << "  " << std::setw(10) << r.shape.bytes << std::setw(11) << r.shape.count << "  "
      << std::left << std::setw(40) << r.contender << std::right;
  if (!r.skipped.empty()) {
    out << "  skipped: " << r.skipped << "\n";
    return;
  }
  out << std::setw(12) << fixed(r.seconds * 1e6, 1) << std::setw(13) << fixed(r.algbw / kGB, 3)
      << std::setw(13) << fixed(r.busbw / kGB, 3);
  out << std::setw(8) << (r.bound_seconds > 0 ? fixed(100 * r.bound_seconds / r.seconds, 1) : "-");
  if (r.model_seconds > 0) {
    out << std::setw(11) << fixed(r.model_seconds * 1e6, 1) << std::setw(7)
        << fixed(100 * (r.model_seconds - r.seconds) / r.seconds, 0);
  } else {
    out << std::setw(11) << "-" << std::setw(7) << "-";
  }
  out << std::setw(8) << (r.wrong < 0 ? std::string("-") : std::to_string(r.wrong)) << std::endl;
}

void print_summary(std::ostream& out, const std::vector<Row>& rows) {
  struct Best {
    const Row* ringtail = nullptr;
    const Row* peer = nullptr;
  };
  std::map<std::size_t, Best> by_size;
  for (const Row& r : rows) {
    if (!r.skipped.empty() || r.wrong > 0) continue;
    Best& b = by_size[r.shape.bytes];
    const Row*& slot = r.ringtail ? b.ringtail : b.peer;
    if (slot == nullptr || r.busbw > slot->busbw) slot = &r;
  }
  out << "#\n# best ringtail vs best peer (busbw, rows with #wrong > 0 excluded)\n"
      << "# " << std::setw(10) << "size(B)" << "  " << std::left << std::setw(36) << "ringtail"
      << std::setw(36) << "peer" << std::right << std::setw(8) << "ratio" << std::setw(9)
      << "%bound" << "\n";
  for (const auto& [bytes, b] : by_size) {
    if (!b.ringtail || !b.peer) continue;
    out << "  " << std::setw(10) << bytes << "  " << std::left << std::setw(36)
        << (b.ringtail->contender + " " + fixed(b.ringtail->busbw / kGB, 2))
        << std::setw(36) << (b.peer->contender + " " + fixed(b.peer->busbw / kGB, 2)) << std::right
        << std::setw(8) << fixed(b.ringtail->busbw / b.peer->busbw, 2) << std::setw(9)
        << (b.ringtail->bound_seconds > 0
                ? fixed(100 * b.ringtail->bound_seconds / b.ringtail->seconds, 1)
                : "-")
        << "\n";
  }
}

void print_model(std::ostream& out, const MachineCost& m) {
  out << "# model constants (measured in this run): local alpha " << fixed(m.local.alpha * 1e6, 2)
      << " us, beta " << fixed(m.local.beta > 0 ? 1 / m.local.beta / kGB : 0, 3) << " GB/s; cross alpha "
      << fixed(m.cross.alpha * 1e6, 2) << " us, beta "
      << fixed(m.cross.beta > 0 ? 1 / m.cross.beta / kGB : 0, 3) << " GB/s per flow, "
      << fixed(m.node_bandwidth / kGB, 3) << " GB/s per host; gamma "
      << fixed(m.gamma > 0 ? 1 / m.gamma / kGB : 0, 2) << " GB/s reduced; shm step "
      << fixed(m.shm_alpha * 1e6, 2) << " us, copy " << fixed(m.copy_beta > 0 ? 1 / m.copy_beta / kGB : 0, 2)
      << " GB/s per rank\n";
}

void write_csv(const std::string& path, const RunInfo& info, const std::vector<Row>& rows) {
  std::ofstream out = open_or_throw(path);
  out << "op,contender,ringtail,ranks,hosts,dtype,redop,bytes,count,iterations,time_us,algbw_gbs,"
         "busbw_gbs,bound_fraction,model_us,wrong,skipped\n";
  for (const Row& r : rows) {
    out << to_string(r.shape.op) << ",\"" << r.contender << "\"," << (r.ringtail ? 1 : 0) << ","
        << info.ranks << "," << info.hosts << "," << coll::to_string(r.shape.type) << ","
        << coll::to_string(r.shape.reduce) << "," << r.shape.bytes << "," << r.shape.count << ","
        << r.iterations << "," << r.seconds * 1e6 << "," << r.algbw / kGB << "," << r.busbw / kGB
        << "," << (r.bound_seconds > 0 && r.seconds > 0 ? r.bound_seconds / r.seconds : 0) << ","
        << r.model_seconds * 1e6 << "," << r.wrong << ",\"" << r.skipped << "\"\n";
  }
}

void write_json(const std::string& path, const RunInfo& info, const std::vector<Row>& rows) {
  nlohmann::json doc;
  doc["command"] = info.command_line;
  doc["ranks"] = info.ranks;
  doc["hosts"] = info.hosts;
  doc["load_average"] = info.load_average;
  doc["copy_bandwidth_gbs"] = {{"one_rank", info.copy.one_rank / kGB},
                               {"all_ranks", info.copy.all_ranks / kGB}};
  if (info.have_model) {
    const MachineCost& m = info.model;
    doc["model"] = {{"local_alpha_us", m.local.alpha * 1e6},
                    {"local_beta_s_per_byte", m.local.beta},
                    {"cross_alpha_us", m.cross.alpha * 1e6},
                    {"cross_beta_s_per_byte", m.cross.beta},
                    {"node_bandwidth_gbs", m.node_bandwidth / kGB},
                    {"gamma_s_per_byte", m.gamma},
                    {"shm_step_us", m.shm_alpha * 1e6},
                    {"copy_s_per_byte", m.copy_beta},
                    {"ranks_per_host", m.ranks_per_host},
                    {"link_nominal_gbits", info.link_nominal_gbits}};
  }
  auto& out_rows = doc["rows"] = nlohmann::json::array();
  for (const Row& r : rows) {
    out_rows.push_back({{"op", std::string(to_string(r.shape.op))},
                        {"contender", r.contender},
                        {"ringtail", r.ringtail},
                        {"dtype", std::string(coll::to_string(r.shape.type))},
                        {"redop", std::string(coll::to_string(r.shape.reduce))},
                        {"bytes", r.shape.bytes},
                        {"count", r.shape.count},
                        {"iterations", r.iterations},
                        {"time_us", r.seconds * 1e6},
                        {"algbw_gbs", r.algbw / kGB},
                        {"busbw_gbs", r.busbw / kGB},
                        {"bound_fraction", r.bound_seconds > 0 && r.seconds > 0 ? r.bound_seconds / r.seconds : 0},
                        {"model_us", r.model_seconds * 1e6},
                        {"wrong", r.wrong},
                        {"skipped", r.skipped}});
  }
  open_or_throw(path) << doc.dump(1) << "\n";
}

std::string read_load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  if (!(in >> a >> b >> c)) return {};
  return a + " " + b + " " + c;
}

}  // namespace ringtail::bench
