#include "ringtail/launcher/mpirun_command.h"

#include "ringtail/collectives/error.h"

namespace ringtail::launcher {

std::vector<std::string> build_mpirun_command(const Layout& layout, const MpirunInputs& in) {
  std::vector<std::string> cmd = {in.mpirun};
  if (in.running_as_root) cmd.push_back("--allow-run-as-root");
  std::string hosts;
  for (const auto* h : layout.used_hosts()) {
    if (h->name.find('_') != std::string::npos) {
      throw Error(ErrorKind::invalid_argument,
                  h->origin + ": Open MPI cannot use host name '" + h->name +
                      "' (it contains '_'); give its IP address or another name");
    }
    // The planned rank count as the slot count: mpirun places exactly the
    // ranks the printed layout shows.
    hosts += (hosts.empty() ? "" : ",") + h->name + ":" + std::to_string(h->ranks);
  }
  cmd.insert(cmd.end(), {"-np", std::to_string(layout.np), "-H", hosts, "--bind-to", "none", "--map-by", "slot"});
  if (layout.oversubscribed || in.oversubscribe) cmd.push_back("--oversubscribe");
  // Open MPI busy-polls while it waits; ranks that share cores would steal them
  // from each other's compute threads.
  if (layout.yield_when_idle) cmd.insert(cmd.end(), {"--mca", "mpi_yield_when_idle", "1"});
  const std::string interface = !in.network_interface.empty() ? in.network_interface
                                : layout.all_local            ? "lo"
                                                              : "";
  if (!interface.empty()) {
    cmd.insert(cmd.end(), {"--mca", "btl_tcp_if_include", interface, "--mca", "oob_tcp_if_include", interface});
  }
  if (!in.rsh_agent.empty()) cmd.insert(cmd.end(), {"--mca", "plm_rsh_agent", in.rsh_agent});
  std::string ssh_args;
  if (in.ssh_port != 0) ssh_args += "-p " + std::to_string(in.ssh_port);
  if (!in.ssh_identity_file.empty()) ssh_args += (ssh_args.empty() ? "-i " : " -i ") + in.ssh_identity_file;
  if (!ssh_args.empty()) cmd.insert(cmd.end(), {"--mca", "plm_rsh_args", ssh_args});
  for (const auto& [name, value] : in.variables) cmd.insert(cmd.end(), {"-x", name + "=" + value});
  for (const auto& name : in.forward_by_name) cmd.insert(cmd.end(), {"-x", name});
  cmd.insert(cmd.end(), in.mpi_args.begin(), in.mpi_args.end());
  cmd.insert(cmd.end(), in.command.begin(), in.command.end());
  return cmd;
}

}  // namespace ringtail::launcher
