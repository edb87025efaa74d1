using Outrigger.Proxy.Forwarding;

namespace Outrigger.Proxy.Resilience;

/// <summary>
/// Which outcomes of an upstream attempt count: for a breaker, as failures (<c>failure_on</c>); for retries, as reasons to
/// try again (<c>retry_on</c>). The names are Envoy's <c>x-envoy-retry-on</c> values.
/// </summary>
[Flags]
internal enum FailureConditions
{
    None = 0,

    /// <summary><c>5xx</c>: any 5xx response, or no response at all (connect failure, reset, timeout).</summary>
    Status5xx = 1,

    /// <summary><c>gateway-error</c>: 502, 503 or 504, or no response at all (connect failure, reset, timeout).</summary>
    GatewayError = 2,

    /// <summary><c>reset</c>: the upstream closed or reset the connection before answering.</summary>
    Reset = 4,

    /// <summary><c>connect-failure</c>: no connection (refused, unreachable, connect timeout); the request was never sent.</summary>
    ConnectFailure = 8,

    /// <summary><c>timeout</c>: no response headers within the per-try timeout.</summary>
    Timeout = 16,

    /// <summary><c>retriable-status-codes</c>: a response whose status is in the configured list.</summary>
    RetriableStatusCodes = 32,
}

/// <summary>Parses and evaluates <see cref="FailureConditions"/>.</summary>
internal static class FailureConditionsExtensions
{
    public static readonly string[] Names = ["5xx", "gateway-error", "reset", "connect-failure", "timeout", "retriable-status-codes"];

    public static FailureConditions Parse(string name) => name switch
    {
        "5xx" => FailureConditions.Status5xx,
        "gateway-error" => FailureConditions.GatewayError,
        "reset" => FailureConditions.Reset,
        "connect-failure" => FailureConditions.ConnectFailure,
        "timeout" => FailureConditions.Timeout,
        "retriable-status-codes" => FailureConditions.RetriableStatusCodes,
        _ => FailureConditions.None,
    };

    public static IEnumerable<string> Format(this FailureConditions conditions)
    {
        for (var i = 0; i < Names.Length; i++)
        {
            if (((int)conditions & (1 << i)) != 0)
            {
                yield return Names[i];
            }
        }
    }

    /// <summary>Whether an attempt that ended with <paramref name="error"/> (and, when it answered, <paramref name="status"/>) matches.</summary>
    public static bool Matches(this FailureConditions conditions, ForwarderError error, int status, int[] statusCodes)
    {
        const FailureConditions noResponse = FailureConditions.Status5xx | FailureConditions.GatewayError;
        return error switch
        {
            ForwarderError.None => MatchesStatus(conditions, status, statusCodes),
            ForwarderError.ConnectFailed => (conditions & (noResponse | FailureConditions.ConnectFailure)) != 0,
            ForwarderError.NoResponse or ForwarderError.ResponseBodyUpstream => (conditions & (noResponse | FailureConditions.Reset)) != 0,
            ForwarderError.Timeout => (conditions & (noResponse | FailureConditions.Timeout)) != 0,
            _ => false,
        };
    }

    private static bool MatchesStatus(FailureConditions conditions, int status, int[] statusCodes) =>
        ((conditions & FailureConditions.Status5xx) != 0 && status >= 500)
        || ((conditions & FailureConditions.GatewayError) != 0 && status is 502 or 503 or 504)
        || ((conditions & FailureConditions.RetriableStatusCodes) != 0 && Array.IndexOf(statusCodes, status) >= 0);
}
