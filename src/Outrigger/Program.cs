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

var root = new RootCommand("Outrigger: a sidecar for proxying, transactions, pipelines, workflows and signals.")
{
    StartCommand.Create(),
    GenerateConfigCommand.Create(),
    ValidateCommand.Create(),
    VersionCommand.Create(),
    OrchestratorCommandLine.Create(),
    Outrigger.Workflows.Cli.WorkflowCommands.Create(),
};

// Signals are handled by the start command itself (first: drain, second: exit at once).
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
