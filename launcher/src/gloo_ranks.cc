#include "ringtail/launcher/gloo_ranks.h"

#include "ringtail/launcher/local_machine.h"
#include "ringtail/launcher/shell.h"

namespace ringtail::launcher {

std::vector<std::string> remote_shell_words(const std::string& rsh_agent, int ssh_port,
                                            const std::string& identity_file) {
  if (!rsh_agent.empty()) return split_shell_words(rsh_agent, "--rsh-agent");
  // BatchMode: fail at once instead of waiting for a password nobody types.
  std::vector<std::string> words = {"ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"};
  if (ssh_port != 0) words.insert(words.end(), {"-p", std::to_string(ssh_port)});
  if (!identity_file.empty()) words.insert(words.end(), {"-i", identity_file});
  return words;
}

const std::string& remote_rank_script() {
  // fd 3 keeps the original standard input for the watcher: sh gives a
  // background job /dev/null as its standard input unless it is redirected.
  static const std::string script =
      "IFS= read -r RINGTAIL_RENDEZVOUS_SECRET || "
      "{ echo \"ringtail-run: no rendezvous secret on standard input\" >&2; exit 125; }\n"
      "export RINGTAIL_RENDEZVOUS_SECRET\n"
      "exec 3<&0\n"
      "\"$@\" </dev/null 3<&- &\n"
      "rank=$!\n"
      "{ cat <&3 >/dev/null 2>&1; kill -TERM \"$rank\" 2>/dev/null; } 2>/dev/null &\n"
      "watcher=$!\n"
      "exec 3<&-\n"
      "wait \"$rank\"\n"
      "code=$?\n"
      "kill \"$watcher\" 2>/dev/null\n"
      "exit \"$code\"\n";
  return script;
}

EnvList rank_environment(int rank, const Layout& layout, const HostPlan& host, const GlooInputs& in) {
  EnvList env = {
      {"RINGTAIL_RANK", std::to_string(rank)},
      {"RINGTAIL_SIZE", std::to_string(layout.np)},
      {"RINGTAIL_RENDEZVOUS_ADDR", in.rendezvous_address},
      {"RINGTAIL_JOB_ID", in.job_id},
      {"RINGTAIL_HOSTNAME", host.name},
  };
  // Where gloo listens: the interface asked for; else the host's address when
  // the host is named by one (it is on that host); else loopback when the whole
  // job is here; else the gloo backend's default.
  if (!in.network_interface.empty()) {
    env.emplace_back("RINGTAIL_GLOO_IFACE", in.network_interface);
  } else if (is_ip_address(host.name)) {
    env.emplace_back("RINGTAIL_GLOO_IFACE", host.name);
  } else if (layout.all_local) {
    env.emplace_back("RINGTAIL_GLOO_IFACE", "127.0.0.1");
  }
  env.insert(env.end(), in.variables.begin(), in.variables.end());
  return env;
}

std::vector<RankLaunch> plan_gloo_ranks(const Layout& layout, const GlooInputs& in) {
  std::vector<RankLaunch> out;
  for (const auto& host : layout.hosts) {
    for (int i = 0; i < host.ranks; ++i) {
      RankLaunch r;
      r.rank = host.first_rank + i;
      r.host = &host;
      r.remote = !host.local;
      EnvList env = rank_environment(r.rank, layout, host, in);
      if (!r.remote) {
        r.argv = in.command;
        r.environment = std::move(env);
      } else {
        env.insert(env.end(), in.remote_variables.begin(), in.remote_variables.end());
        std::vector<std::string> words = {"sh", "-c", remote_rank_script(), "ringtail-rank", "env"};
        for (const auto& [name, value] : env) words.push_back(name + "=" + value);
        words.insert(words.end(), in.command.begin(), in.command.end());
        std::string remote_command;
        if (!in.working_directory.empty()) {
          remote_command = "cd " + shell_quote(in.working_directory) + " 2>/dev/null; ";
        }
        remote_command += "exec " + shell_join(words);
        r.argv = in.remote_shell;
        r.argv.push_back(host.name);
        r.argv.push_back(remote_command);
      }
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace ringtail::launcher
