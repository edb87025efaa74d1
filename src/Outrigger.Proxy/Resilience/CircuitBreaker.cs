using System.Globalization;

namespace Outrigger.Proxy.Resilience;

/// <summary>
/// One cluster's breaker state machine (see <see cref="CircuitBreakerOptions"/>). Closed: calls pass; consecutive failures
/// or the failure ratio over the window open it. Open: calls are refused until the recovery timeout has passed. Half-open:
/// up to <see cref="CircuitBreakerOptions.HalfOpenMaxCalls"/> probes are admitted; all succeeding closes it, one failing
/// opens it again. Thread-safe; admitting a call while closed takes no lock. Time comes from the injected clock.
/// </summary>
internal sealed class CircuitBreaker
{
    private readonly Lock _lock = new();
    private readonly CircuitBreakerOptions _options;
    private readonly TimeProvider _time;
    private readonly FailureWindow? _window;
    private volatile BreakerState _state;
    private long _generation;
    private int _consecutive;
    private long _openUntil;
    private int _probesAdmitted;
    private int _probesSucceeded;

    public CircuitBreaker(string cluster, CircuitBreakerOptions options, TimeProvider time)
    {
        Cluster = cluster;
        _options = options;
        _time = time;
        _window = options.FailureRatio > 0 ? new FailureWindow(options.SamplingWindow, time) : null;
    }

    public string Cluster { get; }

    public CircuitBreakerOptions Options => _options;

    /// <summary>Raised (outside the lock) after each transition.</summary>
    public event Action<CircuitBreaker, BreakerState>? StateChanged;

    /// <summary>The state as a caller would see it now: an open breaker whose recovery timeout has passed reports half-open.</summary>
    public BreakerState State
    {
        get
        {
            var state = _state;
            return state == BreakerState.Open && _time.GetTimestamp() >= Volatile.Read(ref _openUntil) ? BreakerState.HalfOpen : state;
        }
    }

    /// <summary>Why the breaker last opened, e.g. "5 consecutive failures".</summary>
    public string? Reason { get; private set; }

    /// <summary>How long until an open breaker lets probes through (zero when it is not open).</summary>
    public TimeSpan RetryAfter => _state == BreakerState.Open
        ? TimeSpan.FromSeconds(Math.Max(0, Volatile.Read(ref _openUntil) - _time.GetTimestamp()) / (double)_time.TimestampFrequency)
        : TimeSpan.Zero;

    /// <summary>Whether a call would be refused now (used to stop retrying into an open breaker).</summary>
    public bool IsRefusing => State == BreakerState.Open || (_state == BreakerState.HalfOpen && Volatile.Read(ref _probesAdmitted) >= _options.HalfOpenMaxCalls);

    /// <summary>Asks to make one call; false when refused.</summary>
    public bool TryAcquire(out BreakerLease lease)
    {
        if (_state == BreakerState.Closed)
        {
            lease = new BreakerLease(Volatile.Read(ref _generation), Probe: false);
            return true;
        }

        BreakerState? changed = null;
        bool admitted;
        lock (_lock)
        {
            if (_state == BreakerState.Open && _time.GetTimestamp() >= _openUntil)
            {
                changed = TransitionLocked(BreakerState.HalfOpen);
            }

            admitted = _state switch
            {
                BreakerState.Closed => true,
                BreakerState.HalfOpen when _probesAdmitted < _options.HalfOpenMaxCalls => ++_probesAdmitted > 0,
                _ => false,
            };
            lease = new BreakerLease(_generation, _state == BreakerState.HalfOpen);
        }

        Notify(changed);
        return admitted;
    }

    public void OnSuccess(BreakerLease lease)
    {
        if (!lease.Probe && _state == BreakerState.Closed && _window is null)
        {
            if (Volatile.Read(ref _consecutive) != 0)
            {
                Volatile.Write(ref _consecutive, 0);
            }

            return;
        }

        BreakerState? changed = null;
        lock (_lock)
        {
            if (lease.Generation != _generation)
            {
                return;
            }

            if (_state == BreakerState.Closed)
            {
                _consecutive = 0;
                _window?.Record(failure: false);
            }
            else if (_state == BreakerState.HalfOpen && ++_probesSucceeded >= _options.HalfOpenMaxCalls)
            {
                changed = TransitionLocked(BreakerState.Closed);
            }
        }

        Notify(changed);
    }

    public void OnFailure(BreakerLease lease)
    {
        BreakerState? changed = null;
        lock (_lock)
        {
            if (lease.Generation != _generation)
            {
                return;
            }

            if (_state == BreakerState.HalfOpen)
            {
                Reason = "a half-open probe failed";
                changed = OpenLocked();
            }
            else if (_state == BreakerState.Closed && ShouldOpenLocked() is { } reason)
            {
                Reason = reason;
                changed = OpenLocked();
            }
        }

        Notify(changed);
    }

    /// <summary>The call ended without an outcome (the client went away): a probe's slot is freed.</summary>
    public void OnAbandoned(BreakerLease lease)
    {
        if (!lease.Probe)
        {
            return;
        }

        lock (_lock)
        {
            if (lease.Generation == _generation && _state == BreakerState.HalfOpen && _probesAdmitted > 0)
            {
                _probesAdmitted--;
            }
        }
    }

    private string? ShouldOpenLocked()
    {
        _consecutive++;
        if (_options.FailureThreshold > 0 && _consecutive >= _options.FailureThreshold)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{_consecutive} consecutive failures");
        }

        if (_window is null)
        {
            return null;
        }

        _window.Record(failure: true);
        var (total, failures) = _window.Totals();
        return total >= _options.MinimumThroughput && failures >= _options.FailureRatio * total
            ? string.Create(CultureInfo.InvariantCulture, $"{failures} of {total} attempts failed in {_options.SamplingWindow.TotalSeconds:0.###} s")
            : null;
    }

    private BreakerState OpenLocked()
    {
        _openUntil = _time.GetTimestamp() + (long)(_options.RecoveryTimeout.TotalSeconds * _time.TimestampFrequency);
        return TransitionLocked(BreakerState.Open);
    }

    private BreakerState TransitionLocked(BreakerState next)
    {
        _state = next;
        _generation++;
        _consecutive = 0;
        _probesAdmitted = 0;
        _probesSucceeded = 0;
        _window?.Reset();
        return next;
    }

    private void Notify(BreakerState? changed)
    {
        if (changed is { } state)
        {
            StateChanged?.Invoke(this, state);
        }
    }
}
