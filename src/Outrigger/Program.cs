using System.CommandLine;
using Outrigger.Cli;

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
