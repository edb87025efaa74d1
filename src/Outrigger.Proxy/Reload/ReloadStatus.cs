using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Outrigger.Proxy.Metrics;

namespace Outrigger.Proxy.Reload;

/// <summary>
/// The configuration generation the proxy runs and how the last reload went: shown by <c>GET /proxy/config</c> and in the
/// module's health, counted in <c>proxy_config_reloads_total{result}</c>, gauged as <c>proxy_config_generation</c>.
/// </summary>
internal sealed class ReloadStatus(string? file, TimeProvider time)
{
    private static readonly Counter<long> Reloads = ProxyMetrics.Meter.CreateCounter<long>("proxy_config_reloads_total", description: "Configuration reloads, by result (applied, rejected).");
    private static long _generation;
    private static readonly ObservableGauge<long> Generation = ProxyMetrics.Meter.CreateObservableGauge("proxy_config_generation", () => Volatile.Read(ref _generation), description: "Generation of the configuration the proxy runs (1 at start, one more per applied reload).");

    private readonly Lock _lock = new();
    private long _current;
    private DateTimeOffset? _appliedAt;
    private DateTimeOffset? _rejectedAt;
    private string? _lastError;

    public void Applied(long generation)
    {
        lock (_lock)
        {
            if (generation > 1)
            {
                _appliedAt = time.GetUtcNow();
                _lastError = null;
                Reloads.Add(1, new KeyValuePair<string, object?>("result", "applied"));
            }

            _current = generation;
            Volatile.Write(ref _generation, generation);
        }
    }

    public void Rejected(string error)
    {
        lock (_lock)
        {
            _rejectedAt = time.GetUtcNow();
            _lastError = error;
            Reloads.Add(1, new KeyValuePair<string, object?>("result", "rejected"));
        }
    }

    public JsonObject ToJson()
    {
        lock (_lock)
        {
            return new JsonObject
            {
                ["generation"] = _current,
                ["file"] = file,
                ["watching"] = file is not null,
                ["last_applied"] = _appliedAt?.ToString("O"),
                ["last_rejected"] = _rejectedAt?.ToString("O"),
                ["last_error"] = _lastError,
            };
        }
    }
}
