#include "validation.h"

#include <algorithm>
#include <functional>
#include <sstream>

namespace ringtail::core::detail {
namespace {

std::string format_double(double v) {
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}

std::string shape_text(const Signature& s, bool skip_first) {
  if (!skip_first || s.shape.empty()) return to_string(s.shape);
  std::string out = "[*";
  for (std::size_t i = 1; i < s.shape.size(); ++i) out += ", " + std::to_string(s.shape[i]);
  return out + "]";
}

// "[4] on ranks 0, 2; [5] on rank 1", values in order of their lowest rank.
// Returns empty when every rank has the same value.
std::string describe_values(const std::vector<const Request*>& by_rank,
                            const std::function<std::string(const Signature&)>& value) {
  std::vector<std::pair<std::string, std::vector<int>>> groups;
  for (std::size_t r = 0; r < by_rank.size(); ++r) {
    if (!by_rank[r]) continue;
    const std::string v = value(by_rank[r]->signature);
    auto it = std::find_if(groups.begin(), groups.end(), [&](auto& g) { return g.first == v; });
    if (it == groups.end()) {
      groups.push_back({v, {static_cast<int>(r)}});
    } else {
      it->second.push_back(static_cast<int>(r));
    }
  }
  if (groups.size() < 2) return "";
  std::string out;
  for (const auto& [v, ranks] : groups) {
    if (!out.empty()) out += "; ";
    out += v + (ranks.size() == 1 ? " on rank " : " on ranks ");
    for (std::size_t i = 0; i < ranks.size(); ++i) {
      out += (i ? ", " : "") + std::to_string(ranks[i]);
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> find_disagreement(const std::string& name,
                                             const std::vector<const Request*>& by_rank) {
  const Request* first = nullptr;
  for (const Request* q : by_rank) {
    if (q) {
      first = q;
      break;
    }
  }
  if (!first) return std::nullopt;
  // The common case, agreement, without building any text.
  bool agree = true;
  for (const Request* q : by_rank) {
    if (q && q != first && !compatible(q->signature, first->signature)) {
      agree = false;
      break;
    }
  }
  if (agree) return std::nullopt;
  const std::string prefix = "'" + name + "': ranks disagree on ";

  // Different operations: the other fields are not comparable.
  const std::string ops =
      describe_values(by_rank, [](const Signature& s) { return std::string(to_string(s.op)); });
  if (!ops.empty()) return prefix + "the operation: " + ops;

  const OpType op = first->signature.op;
  const bool skip_first = first_dimension_varies(op);
  std::vector<std::pair<std::string, std::function<std::string(const Signature&)>>> fields;
  fields.push_back({"dtype", [](const Signature& s) { return std::string(coll::to_string(s.dtype)); }});
  if (op == OpType::add_process_set) {
    fields.push_back({"ranks", [](const Signature& s) { return to_string(s.shape); }});
  } else if (op == OpType::remove_process_set) {
    fields.push_back({"process set", [](const Signature& s) { return std::to_string(s.root); }});
  } else {
    fields.push_back({skip_first ? "shape after the first dimension" : "shape",
                      [skip_first](const Signature& s) { return shape_text(s, skip_first); }});
  }
  if (op == OpType::allreduce || op == OpType::reducescatter) {
    fields.push_back({"reduce op", [](const Signature& s) { return std::string(coll::to_string(s.reduce_op)); }});
    fields.push_back({"prescale", [](const Signature& s) { return format_double(s.prescale); }});
    fields.push_back({"postscale", [](const Signature& s) { return format_double(s.postscale); }});
  }
  if (op == OpType::broadcast) {
    fields.push_back({"root", [](const Signature& s) { return std::to_string(s.root); }});
  }
  fields.push_back({"device", [](const Signature& s) { return to_string(s.device); }});

  std::string problems;
  for (const auto& [field, value] : fields) {
    const std::string d = describe_values(by_rank, value);
    if (d.empty()) continue;
    problems += (problems.empty() ? "" : "; and on ") + field + ": " + d;
  }
  if (problems.empty()) return std::nullopt;
  return std::string(to_string(op)) + " " + prefix + problems;
}

}  // namespace ringtail::core::detail
