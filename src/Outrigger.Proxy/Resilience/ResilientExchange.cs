using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Forwarding;
using Outrigger.Proxy.Routing;
using Polly;

namespace Outrigger.Proxy.Resilience;

/// <summary>
/// One client request on its way through a route's resilience pipeline: the attempts made so far (endpoints tried, the
/// outcome of the latest), the buffered body that lets it be replayed, and the retry-budget slot it holds. It is the
/// result type of the Polly pipeline, so the retry predicate and the breaker read the latest attempt from it. It is not
/// <see cref="IDisposable"/> on purpose: Polly disposes retried results, and this one lives across attempts; the forwarder
/// calls <see cref="Release"/> when the request is done.
/// </summary>
internal sealed class ResilientExchange
{
    private readonly ResilientForwarder _owner;
    private EndpointState[]? _tried;
    private int _triedCount;
    private CancellationTokenSource? _attemptTimeout;
    private CancellationTokenRegistration _attemptLink;
    private long _attemptStart;
    private bool _holdsRetrySlot;

    public ResilientExchange(ResilientForwarder owner, HttpContext context, CompiledRoute route, string[] values)
    {
        _owner = owner;
        Context = context;
        Route = route;
        Values = values;
    }

    public HttpContext Context { get; }

    public CompiledRoute Route { get; }

    public string[] Values { get; }

    /// <summary>The request body, read in full so every attempt can send it (null: no body, or not replayable).</summary>
    public BufferedBody? Body { get; set; }

    /// <summary>Whether the request has a body that was not buffered (it can be sent once only).</summary>
    public bool StreamsBody { get; set; }

    /// <summary>Attempts made so far.</summary>
    public int Attempts { get; private set; }

    public EndpointState? Endpoint { get; private set; }

    public UpstreamExchange Upstream { get; private set; }

    public ForwarderError Error { get; private set; }

    /// <summary>The upstream's status when it answered; the status the proxy would answer otherwise.</summary>
    public int Status { get; private set; }

    /// <summary>The latest attempt was refused by the open (or saturated half-open) breaker.</summary>
    public bool BreakerRefused { get; private set; }

    /// <summary>No endpoint was available for the latest attempt.</summary>
    public bool NoEndpoint { get; private set; }

    /// <summary>The latest attempt's wait for headers ran into the route's overall timeout.</summary>
    public bool OverallTimeout { get; private set; }

    /// <summary>The timeout the latest attempt ran with (for messages).</summary>
    public TimeSpan AttemptTimeoutValue { get; private set; }

    public bool ClientGone => Error == ForwarderError.ClientAborted || Context.RequestAborted.IsCancellationRequested;

    /// <summary>The Retry-After the latest response asked for, when honoured.</summary>
    public TimeSpan RetryAfter { get; private set; }

    public bool IsFailure(CircuitBreakerOptions options) =>
        !BreakerRefused && !NoEndpoint && options.FailureOn.Matches(Error, Status, options.FailureStatusCodes);

    /// <summary>One attempt: pick an endpoint (another one than before, when there is one), send, wait for headers.</summary>
    public async ValueTask<Outcome<ResilientExchange>> AttemptAsync(CancellationToken overall)
    {
        ResetAttempt();
        Attempts++;
        var endpoint = Acquire();
        if (endpoint is null)
        {
            NoEndpoint = true;
            Status = StatusCodes.Status503ServiceUnavailable;
            return Outcome.FromResult(this);
        }

        Endpoint = endpoint;
        var token = StartAttemptTimeout(overall);
        _attemptStart = _owner.Time.GetTimestamp();
        Upstream = await _owner.Forwarder.SendAsync(Context, Route, endpoint, Values, Body?.ForAttempt(), token).ConfigureAwait(false);
        if (Upstream.Response is { } response)
        {
            Status = response.StatusCode;
            Error = ForwarderError.None;
        }
        else
        {
            Error = HttpForwarder.Classify(Context, Upstream, token.IsCancellationRequested);
            OverallTimeout = Error == ForwarderError.Timeout && overall.IsCancellationRequested;
            Status = Error switch { ForwarderError.Timeout => 504, ForwarderError.ClientAborted => 499, ForwarderError.RequestBodyClient => 400, _ => 502 };
        }

        ReleaseRetrySlot();
        return Outcome.FromResult(this);
    }

    /// <summary>Whether to retry after the latest attempt (Polly's retry predicate); takes a retry-budget slot when yes.</summary>
    public bool ShouldRetry(int attemptNumber)
    {
        var retry = _owner.Retry;
        if (BreakerRefused || NoEndpoint || OverallTimeout || ClientGone || Error == ForwarderError.RequestBodyClient
            || !retry.RetryOn.Matches(Error, Status, retry.RetriableStatusCodes))
        {
            return false;
        }

        var cluster = Route.Cluster.Name;
        if (attemptNumber >= retry.MaxAttempts - 1)
        {
            ResilienceMetrics.Add(ResilienceMetrics.RetryLimitExceeded, cluster);
            return false;
        }

        if (StreamsBody || (!IsIdempotent(Context.Request.Method) && !retry.RetryNonIdempotent && Error != ForwarderError.ConnectFailed)
            || !AcceptRetryAfter(retry) || _owner.Breaker?.IsRefusing == true)
        {
            return false;
        }

        if (!_owner.Budget.TryStartRetry(retry.BudgetPercent, retry.BudgetMinConcurrent))
        {
            ResilienceMetrics.Add(ResilienceMetrics.RetryOverflow, cluster);
            return false;
        }

        _holdsRetrySlot = true;
        return true;
    }

    /// <summary>The backoff before retry <paramref name="attemptNumber"/> + 1: full jitter, at least the upstream's Retry-After.</summary>
    public TimeSpan NextDelay(int attemptNumber)
    {
        var retry = _owner.Retry;
        var delay = Backoff.FullJitter(attemptNumber, retry.BaseBackoff, retry.MaxBackoff, _owner.Random());
        return delay > RetryAfter ? delay : RetryAfter;
    }

    /// <summary>The latest attempt will be retried: account for it and release its response and connection.</summary>
    public void DiscardAttempt()
    {
        var reason = Error switch
        {
            ForwarderError.ConnectFailed => "connect-failure",
            ForwarderError.Timeout => "timeout",
            ForwarderError.NoResponse => "reset",
            _ => ProxyStatusReason(Status),
        };
        ResilienceMetrics.AddRetry(Route.Cluster.Name, reason);
        if (Endpoint is { } endpoint)
        {
            Remember(endpoint);
            FinishAttempt(new ForwardResult(Status, Error));
        }
    }

    /// <summary>Records the final attempt's outcome once its response went to the client.</summary>
    public void FinishAttempt(ForwardResult result)
    {
        if (Endpoint is not { } endpoint)
        {
            return;
        }

        Endpoint = null;
        endpoint.EndRequest();
        Upstream.Dispose();
        Upstream = default;
        DisposeAttemptTimeout();
        if (result.Error == ForwarderError.Timeout && !OverallTimeout)
        {
            ResilienceMetrics.Add(ResilienceMetrics.PerTryTimeouts, Route.Cluster.Name);
        }

        ProxyRequestHandler.RecordAttempt(Context, Route.Cluster, endpoint, result, _owner.Time.GetElapsedTime(_attemptStart).TotalSeconds);
    }

    /// <summary>Stops the latest attempt's timeout (its response headers arrived and will be streamed).</summary>
    public void DisarmAttemptTimeout() => _attemptTimeout?.CancelAfter(Timeout.InfiniteTimeSpan);

    public void RefusedByBreaker()
    {
        ResetAttempt();
        BreakerRefused = true;
        Status = StatusCodes.Status503ServiceUnavailable;
    }

    /// <summary>Ends whatever attempt is still open and returns the retry slot and the body buffer.</summary>
    public void Release()
    {
        FinishAttempt(new ForwardResult(StatusCodes.Status499ClientClosedRequest, ForwarderError.ClientAborted));
        ReleaseRetrySlot();
        Body?.Dispose();
    }

    private static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsPut(method)
        || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);

    private static string ProxyStatusReason(int status) => status switch
    {
        502 or 503 or 504 => "gateway-error",
        >= 500 => "5xx",
        _ => "retriable-status-code",
    };

    private bool AcceptRetryAfter(RetryOptions retry)
    {
        RetryAfter = TimeSpan.Zero;
        if (!retry.HonorRetryAfter || Upstream.Response?.Header("Retry-After") is not { } value)
        {
            return true;
        }

        var after = Backoff.ParseRetryAfter(value, _owner.Time.GetUtcNow());
        if (after is not { } wait)
        {
            return true;
        }

        RetryAfter = wait;
        return wait <= retry.MaxRetryAfter;
    }

    /// <summary>Picks an endpoint and counts the attempt on it (picking again if it was closed meanwhile).</summary>
    private EndpointState? Acquire()
    {
        for (var i = 0; i < ClusterState.MaxPicks; i++)
        {
            var endpoint = Pick();
            if (endpoint is null || endpoint.TryBeginRequest())
            {
                return endpoint;
            }
        }

        return null;
    }

    private EndpointState? Pick()
    {
        var cluster = Route.Cluster;
        if (_triedCount == 0)
        {
            return cluster.Pick(Context);
        }

        var available = cluster.Available;
        if (available.Length == 0)
        {
            return null;
        }

        var untried = Array.FindAll(available, e => Array.IndexOf(_tried!, e, 0, _triedCount) < 0);
        return cluster.Balancer.Pick(untried.Length > 0 ? untried : available, Context);
    }

    private void Remember(EndpointState endpoint)
    {
        _tried ??= new EndpointState[_owner.Retry.MaxAttempts];
        if (_triedCount < _tried.Length && Array.IndexOf(_tried, endpoint, 0, _triedCount) < 0)
        {
            _tried[_triedCount++] = endpoint;
        }
    }

    private CancellationToken StartAttemptTimeout(CancellationToken overall)
    {
        var perTry = _owner.Retry.PerTryTimeout;
        AttemptTimeoutValue = perTry > TimeSpan.Zero && (Route.Timeout <= TimeSpan.Zero || perTry < Route.Timeout) ? perTry : Route.Timeout;
        if (perTry <= TimeSpan.Zero)
        {
            return overall;
        }

        _attemptTimeout = new CancellationTokenSource(perTry, _owner.Time);
        _attemptLink = overall.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _attemptTimeout);
        return _attemptTimeout.Token;
    }

    private void DisposeAttemptTimeout()
    {
        if (_attemptTimeout is not null)
        {
            _attemptLink.Dispose();
            _attemptTimeout.Dispose();
            _attemptTimeout = null;
        }
    }

    private void ResetAttempt()
    {
        BreakerRefused = false;
        NoEndpoint = false;
        OverallTimeout = false;
        RetryAfter = TimeSpan.Zero;
        Error = ForwarderError.None;
    }

    private void ReleaseRetrySlot()
    {
        if (_holdsRetrySlot)
        {
            _holdsRetrySlot = false;
            _owner.Budget.RetryEnded();
        }
    }
}
