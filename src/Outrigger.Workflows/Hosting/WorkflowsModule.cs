using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Outrigger.Coordination;
using Outrigger.Core.Hosting;
using Outrigger.Grpc.Server;
using Outrigger.Workflows.Apps;
using Outrigger.Workflows.Engine;
using Outrigger.Workflows.Management;

namespace Outrigger.Workflows.Hosting;

/// <summary>
/// The running module: the coordination store, the engine, the app port (<c>sidecar_listen</c>) and the node port
/// (<c>node_listen</c>: management gRPC + HTTP). A store passed in (tests, several nodes in one process) is not
/// owned by the module.
/// </summary>
internal sealed class WorkflowsModule(WorkflowsOptions options, ModuleContext context, ICoordinationStore? sharedStore = null) : IModule
{
    /// <summary>How long a connection to the node port may stay silent before it is closed.</summary>
    private static readonly TimeSpan FirstBytesTimeout = TimeSpan.FromSeconds(30);

    private ICoordinationStore? _store;
    private WorkflowEngine? _engine;
    private HttpServer? _sidecar;
    private HttpServer? _node;

    public string Name => "workflows";

    public WorkflowEngine? Engine => _engine;

    /// <summary>The bound app port (after start).</summary>
    public System.Net.IPEndPoint? SidecarEndPoint => _sidecar?.EndPoints[0];

    /// <summary>The bound node port (after start).</summary>
    public System.Net.IPEndPoint? NodeEndPoint => _node?.EndPoints[0];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var storage = options.StoragePath ?? Path.Combine(context.DataDirectory, "workflows");
        var coordination = options.CoordinationDirectoryGiven
            ? options.Coordination
            : options.Coordination with { Embedded = options.Coordination.Embedded with { Directory = Path.Combine(storage, "coordination") } };
        _store = sharedStore ?? CoordinationStore.Open(coordination, context.TimeProvider, context.LoggerFactory);
        _engine = new WorkflowEngine(_store, options.Engine, context.LoggerFactory);
        await _engine.StartAsync(cancellationToken).ConfigureAwait(false);

        var apps = Registry();
        new AppStreamService(_engine).Register(apps);
        _sidecar = await HttpServer.StartAsync([ListenEndpoint.Parse(options.SidecarListen, HttpProtocols.Http2)], apps.RequestDelegate, context.LoggerFactory, cancellationToken: cancellationToken).ConfigureAwait(false);

        var directory = new WorkflowDirectory(_engine);
        var management = Registry();
        management.Options.NonGrpcRequestHandler = new HttpApi(directory, options.Engine.NodeId).HandleAsync;
        new ManagementService(directory).Register(management);
        // One cleartext node port: HTTP/1.1 for curl and the HTTP API, prior-knowledge HTTP/2 for gRPC.
        _node = await HttpServer.StartAsync(
            [ListenEndpoint.Parse(options.NodeListen, HttpProtocols.Http1AndHttp2, l => CleartextHttp2.Use(l, FirstBytesTimeout))],
            management.RequestDelegate,
            context.LoggerFactory,
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private GrpcServiceRegistry Registry() => new(new GrpcServerOptions { LoggerFactory = context.LoggerFactory, TimeProvider = context.TimeProvider });

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _engine?.CloseAllSessions("the sidecar is shutting down");
        if (_sidecar is not null)
        {
            await _sidecar.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_node is not null)
        {
            await _node.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public ModuleHealth GetHealth()
    {
        if (_engine is null || _node is null || _sidecar is null)
        {
            return new ModuleHealth(false, "starting");
        }

        var streams = _engine.SessionCount;
        var detail = new JsonObject
        {
            ["node_id"] = options.Engine.NodeId,
            ["sidecar_listen"] = SidecarEndPoint!.ToString(),
            ["node_listen"] = NodeEndPoint!.ToString(),
            ["store"] = options.Coordination.Backend,
            ["app_streams"] = streams,
        };
        if (_engine.StoreProblem is { } problem)
        {
            detail["store_problem"] = problem;
            return new ModuleHealth(false, problem, detail);
        }

        return options.RequireApp && streams == 0
            ? new ModuleHealth(false, "no app is connected (workflows.require_app is true)", detail)
            : new ModuleHealth(true, null, detail);
    }

    public async ValueTask DisposeAsync()
    {
        if (_sidecar is not null)
        {
            await _sidecar.DisposeAsync().ConfigureAwait(false);
        }

        if (_node is not null)
        {
            await _node.DisposeAsync().ConfigureAwait(false);
        }

        if (_engine is not null)
        {
            await _engine.DisposeAsync().ConfigureAwait(false);
        }

        if (_store is not null && sharedStore is null)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }
    }
}
