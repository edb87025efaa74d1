using System.CommandLine;
using Outrigger.Cli;

// Socket completions run on the event thread that saw them instead of hopping to a thread-pool thread: the work per
// I/O of a proxy is short, and on a sidecar's one or two cores every hop is a context switch (bench/proxy/PROFILE.md:
// 2.6 → 0.6 switches and about a quarter less CPU per proxied request). The runtime reads the variable when the first
// socket is created, so it is set before anything else; an explicit value in the environment (e.g. 0) wins.
const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
{
    Environment.SetEnvironmentVariable(InlineCompletions, "1");
}

// `start` is what runs in every pod. It is parsed on its own: the other commands would load the workflow client's and
// the orchestrator's assemblies (and JIT their set-up) only to be thrown away, memory a sidecar keeps for its lifetime.
var root = new RootCommand("Outrigger: a sidecar for proxying, transactions, pipelines, workflows and signals.") { StartCommand.Create() };
if (args is not ["start", ..])
{
    AddOtherCommands(root);
}

// Signals are handled by the start command itself (first: drain, second: exit at once).
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);

static void AddOtherCommands(RootCommand root)
{
    root.Add(GenerateConfigCommand.Create());
    root.Add(ValidateCommand.Create());
    root.Add(VersionCommand.Create());
    root.Add(OrchestratorCommandLine.Create());
    root.Add(Outrigger.Workflows.Cli.WorkflowCommands.Create());
}
