using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Coordination;
using Outrigger.Core.Admin;
using Outrigger.Core.Configuration;
using Outrigger.Core.Hosting;
using Outrigger.Workflows.Hosting;

namespace Outrigger.Workflows.Tests.Infrastructure;

/// <summary>The workflows module hosted as the sidecar would host it: options read from YAML, real ports (127.0.0.1, free).</summary>
internal sealed class ModuleHost : IAsyncDisposable
{
    private ModuleHost(WorkflowsModule module)
    {
        Module = module;
    }

    public WorkflowsModule Module { get; }

    public string SidecarUrl => $"http://{Module.SidecarEndPoint}";

    public string NodeUrl => $"http://{Module.NodeEndPoint}";

    /// <summary>Fast timings for tests; a YAML <c>workflows:</c> section body may override them.</summary>
    public const string TestDefaults = """
        node_ttl_seconds: 2
        app_timeout_seconds: 5
        app_grace_seconds: 2
        claim_stagger_ms: 100
        """;

    public static WorkflowsOptions ReadOptions(string yaml, IReadOnlyDictionary<string, string>? environment = null)
    {
        var root = YamlConfigParser.Parse(yaml, "test.yaml");
        if (environment is not null)
        {
            EnvironmentVariables.Apply(root, environment, new HashSet<string> { "workflows" });
        }

        var session = new ConfigReadSession();
        var options = (WorkflowsOptions)new WorkflowsModuleDefinition().ReadOptions(session.Root(root, new ConfigOutline()));
        session.ReportUnknownKeys();
        if (session.Errors.Count > 0)
        {
            throw new ConfigException(session.Errors);
        }

        return options;
    }

    /// <summary>A <c>workflows:</c> section with <see cref="TestDefaults"/>; a top-level key of <paramref name="extra"/> replaces its default.</summary>
    public static string Yaml(string node, string dataDirectory, string extra = "", string sidecarListen = "127.0.0.1:0", string nodeListen = "127.0.0.1:0")
    {
        var overridden = extra.Split('\n').Where(l => l.Length > 0 && !char.IsWhiteSpace(l[0]) && l.Contains(':', StringComparison.Ordinal)).Select(l => l[..(l.IndexOf(':', StringComparison.Ordinal) + 1)]).ToList();
        var defaults = string.Join('\n', TestDefaults.Split('\n').Where(l => !overridden.Any(key => l.StartsWith(key, StringComparison.Ordinal))));
        return "workflows:\n" + Indent($"pod_name: {node}\nstorage_path: {dataDirectory}\nsidecar_listen: {sidecarListen}\nnode_listen: {nodeListen}\n{defaults}\n{extra}");
    }

    private static string Indent(string text) => string.Join('\n', text.Split('\n').Where(l => l.Trim().Length > 0).Select(l => "  " + l));

    public static async Task<ModuleHost> StartAsync(string yaml, string dataDirectory, ICoordinationStore? store = null, ILoggerFactory? loggers = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var context = new ModuleContext(loggers ?? NullLoggerFactory.Instance, TimeProvider.System, new AdminRoutes(), dataDirectory);
        var module = new WorkflowsModule(ReadOptions(yaml, environment), context, store);
        await module.StartAsync(CancellationToken.None);
        return new ModuleHost(module);
    }

    public async ValueTask DisposeAsync()
    {
        using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await Module.StopAsync(drain.Token);
        await Module.DisposeAsync();
    }
}
