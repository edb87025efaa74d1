namespace Outrigger.Core.Configuration;

/// <summary>
/// The one table of environment variables that the specifications name, and the configuration keys they set.
/// Documented in docs/configuration.md. Besides these, <c>OUTRIGGER_SECTION__KEY=value</c> sets any key
/// (<c>__</c> separates levels, names are lower-cased, numeric levels index lists).
/// </summary>
public static class EnvironmentVariables
{
    public const string GenericPrefix = "OUTRIGGER_";

    /// <summary>
    /// Spec variable → key path. An entry that <see cref="EnvironmentMapping.Enables"/> its module creates the
    /// module's section (so setting it switches the module on); the others only apply to a module that runs anyway.
    /// </summary>
    public static IReadOnlyList<EnvironmentMapping> Mappings { get; } =
    [
        new("LOG_LEVEL", "telemetry.log_level", Enables: true),
        new("OTEL_EXPORTER_OTLP_ENDPOINT", "telemetry.otlp_endpoint", Enables: true),

        // Spec 000 (gateway)
        new("LISTEN_ADDR", "gateway.listen_addr"),
        new("WARM_ORCHESTRATOR_ENDPOINT", "gateway.orchestrator.endpoint"),
        new("BATCH_SIZE", "gateway.batch_size"),
        new("BATCH_TIMEOUT_MS", "gateway.batch_timeout_ms"),

        // Spec 001 (conveyor)
        new("CLUSTER_ENDPOINT", "conveyor.cluster_endpoint", Enables: true),
        new("SIDECAR_ID", "conveyor.sidecar_id"),
        new("POD_NAME", "conveyor.pod_name"),
        new("NAMESPACE", "conveyor.namespace"),
        new("GRPC_PORT", "conveyor.grpc_port"),
        new("DISCOVERY_START_PORT", "conveyor.discovery.start_port"),
        new("DISCOVERY_END_PORT", "conveyor.discovery.end_port"),
        new("HEARTBEAT_INTERVAL_SECS", "conveyor.heartbeat_interval_secs"),

        // Spec 003 (workflows)
        new("RAFTORAL_LISTEN", "workflows.node_listen"),
        new("RAFTORAL_SIDECAR_LISTEN", "workflows.sidecar_listen"),
        new("RAFTORAL_TRANSPORT", "workflows.transport"),
        new("RAFTORAL_STORAGE_PATH", "workflows.storage_path"),
        new("RAFTORAL_SERVICE_NAME", "workflows.discovery.service_name"),
        new("POD_NAME", "workflows.pod_name"),
        new("POD_IP", "workflows.pod_ip"),
        new("POD_NAMESPACE", "workflows.pod_namespace"),

        // Spec 004 (signals)
        new("AGGREGATOR_URL", "signals.aggregator_url", Enables: true),
        new("JMX_URL", "signals.jmx_url"),
    ];

    /// <summary>
    /// Applies the environment to <paramref name="root"/>: first the spec variables of <paramref name="modules"/>
    /// (and the host's own), then <c>OUTRIGGER_*</c> overrides, which win.
    /// </summary>
    public static void Apply(ConfigMapping root, IReadOnlyDictionary<string, string> environment, IReadOnlySet<string> modules)
    {
        foreach (var mapping in Mappings)
        {
            var section = mapping.Path[..mapping.Path.IndexOf('.', StringComparison.Ordinal)];
            if (!environment.TryGetValue(mapping.Variable, out var value) || (section != "telemetry" && !modules.Contains(section)))
            {
                continue;
            }

            if (mapping.Enables || root.Contains(section))
            {
                Set(root, mapping.Path.Split('.'), value, ConfigSource.Environment(mapping.Variable));
            }
        }

        foreach (var (name, value) in environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (name.StartsWith(GenericPrefix, StringComparison.Ordinal) && name.Length > GenericPrefix.Length)
            {
                var path = name[GenericPrefix.Length..].ToLowerInvariant().Split("__");
                Set(root, path, value, ConfigSource.Environment(name));
            }
        }
    }

    private static void Set(ConfigMapping root, string[] path, string value, ConfigSource source)
    {
        ConfigNode current = root;
        for (var i = 0; i < path.Length; i++)
        {
            var last = i == path.Length - 1;
            ConfigNode next = last ? new ConfigScalar(value, source) : new ConfigMapping(source);
            switch (current)
            {
                case ConfigMapping mapping:
                    if (!last && mapping[path[i]] is ConfigMapping or ConfigSequence)
                    {
                        next = mapping[path[i]]!;
                    }
                    else
                    {
                        mapping.Set(path[i], next);
                    }

                    break;
                case ConfigSequence sequence when int.TryParse(path[i], out var index) && index >= 0 && index <= sequence.Items.Count:
                    if (index == sequence.Items.Count)
                    {
                        sequence.Items.Add(next);
                    }
                    else if (!last && sequence.Items[index] is ConfigMapping or ConfigSequence)
                    {
                        next = sequence.Items[index];
                    }
                    else
                    {
                        sequence.Items[index] = next;
                    }

                    break;
                default:
                    return;
            }

            current = next;
        }
    }
}

/// <summary>An environment variable named by a specification and the configuration key it sets.</summary>
public sealed record EnvironmentMapping(string Variable, string Path, bool Enables = false);
