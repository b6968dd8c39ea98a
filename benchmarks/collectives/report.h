#pragma once
// What ringtail-bench prints and writes: an aligned table (as nccl-tests), a
// summary comparing ringtail's best row with the best peer row per size, and
// CSV / JSON files of every row with the machine numbers.

#include <iosfwd>
#include <string>
#include <vector>

#include "machine.h"
#include "sweep.h"

namespace ringtail::bench {

struct RunInfo {
  int ranks = 1;
  int hosts = 1;
  std::string hostname;
  CopyBandwidth copy;
  bool have_model = false;
  MachineCost model;
  double link_nominal_gbits = 0;
  std::string command_line;
  std::string load_average;  // /proc/loadavg at the start: how shared the machine was

};

void print_header(std::ostream& out, const RunInfo& info, const Options& options, Collective op);
void print_row(std::ostream& out, const Row& row);
void print_summary(std::ostream& out, const std::vector<Row>& rows);
void print_model(std::ostream& out, const MachineCost& m);

void write_csv(const std::string& path, const RunInfo& info, const std::vector<Row>& rows);
void write_json(const std::string& path, const RunInfo& info, const std::vector<Row>& rows);

// The first three fields of /proc/loadavg, or "" where there is none.
std::string read_load_average();

}  // namespace ringtail::bench
