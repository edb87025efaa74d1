using System.Text.Json.Nodes;
using Outrigger.Gateway.Resilience;

namespace Outrigger.Gateway.Sidecar;

/// <summary>What the gateway last saw of its orchestrator, for /ready's detail and HealthCheck.</summary>
internal sealed class UpstreamState(string endpoint, ConsecutiveFailureBreaker breaker, TimeProvider time)
{
    private readonly object _lock = new();
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private DateTimeOffset? _lastSuccessAt;

    public string Endpoint { get; } = endpoint;

    public BreakerState Breaker => breaker.State;

    public string? LastError
    {
        get
        {
            lock (_lock)
            {
                return _lastError;
            }
        }
    }

    public void Succeeded()
    {
        lock (_lock)
        {
            _lastSuccessAt = time.GetUtcNow();
        }
    }

    public void Failed(string error)
    {
        lock (_lock)
        {
            _lastError = error;
            _lastErrorAt = time.GetUtcNow();
        }
    }

    public static string Describe(BreakerState state) => state switch
    {
        BreakerState.Closed => "closed",
        BreakerState.Open => "open",
        _ => "half_open",
    };

    public JsonObject ToJson()
    {
        lock (_lock)
        {
            return new JsonObject
            {
                ["orchestrator"] = Endpoint,
                ["circuit_breaker"] = Describe(Breaker),
                ["last_success"] = _lastSuccessAt?.ToString("O"),
                ["last_error"] = _lastError,
                ["last_error_at"] = _lastErrorAt?.ToString("O"),
            };
        }
    }
}
