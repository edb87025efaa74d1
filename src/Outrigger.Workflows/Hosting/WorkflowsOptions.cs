using Outrigger.Coordination;
using Outrigger.Core.Configuration;
using Outrigger.Workflows.Engine;
using Outrigger.Workflows.Store;

namespace Outrigger.Workflows.Hosting;

/// <summary>The <c>workflows</c> section (see docs/workflows.md for every key, its default and its environment variable).</summary>
internal sealed record WorkflowsOptions
{
    public const string DefaultSidecarListen = "127.0.0.1:9001";
    public const string DefaultNodeListen = "0.0.0.0:7001";

    public string SidecarListen { get; init; } = DefaultSidecarListen;

    public string NodeListen { get; init; } = DefaultNodeListen;

    /// <summary>Null: <c>{data_dir}/workflows</c>.</summary>
    public string? StoragePath { get; init; }

    public string Transport { get; init; } = "grpc";

    public string ServiceName { get; init; } = "raftoral";

    public bool RequireApp { get; init; }

    public required EngineOptions Engine { get; init; }

    public required CoordinationOptions Coordination { get; init; }

    /// <summary>Whether <c>coordination.embedded.dir</c> was given; otherwise the store lives in <c>{storage_path}/coordination</c>.</summary>
    public bool CoordinationDirectoryGiven { get; init; }

    public static WorkflowsOptions Read(ConfigReader root)
    {
        var section = root.Section("workflows", "Durable workflows for the app (spec 003): the app stream, the node API and the engine on the coordination store.");
        var sidecarListen = section.Address("sidecar_listen", DefaultSidecarListen, "Where apps connect (RaftoralSidecar.WorkflowStream, h2c). Env RAFTORAL_SIDECAR_LISTEN.");
        var nodeListen = section.Address("node_listen", DefaultNodeListen, "The node port: WorkflowManagement gRPC and the HTTP API (HTTP/1.1 and h2c). Env RAFTORAL_LISTEN.");
        var storagePath = section.OptionalString("storage_path", "Durable state (default {data_dir}/workflows). Env RAFTORAL_STORAGE_PATH.");
        var podName = section.String("pod_name", DefaultNodeId(), "This node's id; stable across restarts, unique in the cluster (default: the host name). Env POD_NAME.");
        if (!Identifiers.IsValid(podName))
        {
            section.Error("pod_name", Identifiers.Describe("the node id", podName));
        }

        var podIp = section.String("pod_ip", string.Empty, "The pod's IP; with it, other nodes reach this one at pod_ip and the node_listen port. Env POD_IP.");
        var podNamespace = section.String("pod_namespace", string.Empty, "The pod's namespace (recorded with the node). Env POD_NAMESPACE.");
        var transport = section.Choice("transport", "grpc", "Transport between nodes. Env RAFTORAL_TRANSPORT.", "grpc", "http");
        var serviceName = section.Section("discovery", "Peer discovery in Kubernetes.")
            .String("service_name", "raftoral", "Headless service whose endpoints are the peers. Env RAFTORAL_SERVICE_NAME.");
        var coordinationSection = section.Section("coordination", "Where workflow state lives; see docs/coordination.md. Default: an embedded store in {storage_path}/coordination.");
        var coordination = CoordinationOptions.Read(coordinationSection, storagePath ?? "data/workflows");
        var dirGiven = coordinationSection.Section("embedded", "The embedded store.").Has("dir");
        var defaults = new EngineOptions { NodeId = podName };
        return new WorkflowsOptions
        {
            SidecarListen = sidecarListen,
            NodeListen = nodeListen,
            StoragePath = storagePath,
            Transport = transport,
            ServiceName = serviceName,
            RequireApp = section.Bool("require_app", false, "Whether /ready also needs at least one connected app stream."),
            Coordination = coordination,
            CoordinationDirectoryGiven = dirGiven,
            Engine = defaults with
            {
                Address = AdvertisedAddress(nodeListen, podIp),
                PodIp = podIp,
                PodNamespace = podNamespace,
                Replicas = section.Int("replicas", defaults.Replicas, "Replicas per workflow (the owner plus standbys), among nodes whose apps registered its type.", min: 1, max: 15),
                MaxCheckpointBytes = section.Int("max_checkpoint_bytes", defaults.MaxCheckpointBytes, "Largest checkpoint value or result, in bytes (the store takes requests up to 1.5 MiB).", min: 1, max: 1_400_000),
                MaxInputBytes = section.Int("max_input_bytes", defaults.MaxInputBytes, "Largest workflow input, in bytes.", min: 1, max: 1_400_000),
                AppTimeout = Seconds(section, "app_timeout_seconds", defaults.AppTimeout, "An app stream silent for this long (no heartbeat) is closed and its workflows reassigned."),
                AppGrace = Seconds(section, "app_grace_seconds", defaults.AppGrace, "How long an owner whose app is gone keeps a workflow before handing it to a replica with an app."),
                NodeTtl = Seconds(section, "node_ttl_seconds", defaults.NodeTtl, "TTL of the node lease: a dead node's workflows move after about this long."),
                ClaimStagger = TimeSpan.FromMilliseconds(section.Int("claim_stagger_ms", (int)defaults.ClaimStagger.TotalMilliseconds, "Delay per rank before a standby claims an ownerless workflow.", min: 0, max: 60_000)),
            },
        };
    }

    private static TimeSpan Seconds(ConfigReader section, string key, TimeSpan defaultValue, string doc) =>
        TimeSpan.FromSeconds(section.Int(key, (int)defaultValue.TotalSeconds, doc, min: 1, max: 86_400));

    private static string DefaultNodeId()
    {
        var name = Environment.MachineName.ToLowerInvariant();
        return Identifiers.IsValid(name) ? name : "node-1";
    }

    /// <summary>How other nodes reach this one: the pod IP with the node port, or the listen address (loopback for a wildcard).</summary>
    private static string AdvertisedAddress(string nodeListen, string podIp)
    {
        if (!Core.HostPort.TryParse(nodeListen, out var host, out var port, out _))
        {
            return nodeListen;
        }

        if (podIp.Length > 0)
        {
            host = podIp;
        }
        else if (host is "0.0.0.0" or "::" or "*" or "+")
        {
            host = "127.0.0.1";
        }

        return host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
    }
}
