namespace Outrigger.Gateway.Resilience;

/// <summary>
/// The breaker's state machine. Closed: <see cref="CircuitBreakerOptions.FailureThreshold"/> consecutive failures
/// open it (a success resets the count). Open: every call is refused until <see cref="CircuitBreakerOptions.BreakDuration"/>
/// has passed. Half-open: one probe at a time is let through; <see cref="CircuitBreakerOptions.SuccessThreshold"/>
/// successes close it, one failure opens it again. Thread-safe; time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class ConsecutiveFailureBreaker(CircuitBreakerOptions options, TimeProvider time)
{
    private readonly object _lock = new();
    private BreakerState _state;
    private int _failures;
    private int _probeSuccesses;
    private bool _probeInFlight;
    private DateTimeOffset _openUntil;

    /// <summary>Raised (outside the lock) after every state change.</summary>
    public event Action<BreakerState>? StateChanged;

    public BreakerState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>Asks to make one call. False when refused; then <paramref name="retryAfter"/> says when to come back.</summary>
    public bool TryAcquire(out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        BreakerState? changed = null;
        bool allowed;
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (_state == BreakerState.Open && now >= _openUntil)
            {
                changed = Transition(BreakerState.HalfOpen);
            }

            switch (_state)
            {
                case BreakerState.Closed:
                    allowed = true;
                    break;
                case BreakerState.HalfOpen when !_probeInFlight:
                    _probeInFlight = true;
                    allowed = true;
                    break;
                case BreakerState.HalfOpen:
                    allowed = false;
                    break;
                default:
                    retryAfter = _openUntil - now;
                    allowed = false;
                    break;
            }
        }

        Notify(changed);
        return allowed;
    }

    /// <summary>Reports that an acquired call succeeded (or failed in a way that proves the upstream answers).</summary>
    public void OnSuccess()
    {
        BreakerState? changed = null;
        lock (_lock)
        {
            _failures = 0;
            if (_state == BreakerState.HalfOpen)
            {
                _probeInFlight = false;
                if (++_probeSuccesses >= options.SuccessThreshold)
                {
                    changed = Transition(BreakerState.Closed);
                }
            }
        }

        Notify(changed);
    }

    /// <summary>Reports that an acquired call failed.</summary>
    public void OnFailure()
    {
        BreakerState? changed = null;
        lock (_lock)
        {
            if (_state == BreakerState.HalfOpen || (_state == BreakerState.Closed && ++_failures >= options.FailureThreshold))
            {
                _openUntil = time.GetUtcNow() + options.BreakDuration;
                changed = Transition(BreakerState.Open);
            }
        }

        Notify(changed);
    }

    /// <summary>Reports that an acquired call ended without an outcome (the caller cancelled): frees the probe slot.</summary>
    public void OnAbandoned()
    {
        lock (_lock)
        {
            _probeInFlight = false;
        }
    }

    private BreakerState Transition(BreakerState next)
    {
        _state = next;
        _failures = 0;
        _probeSuccesses = 0;
        _probeInFlight = false;
        return next;
    }

    private void Notify(BreakerState? changed)
    {
        if (changed is { } state)
        {
            StateChanged?.Invoke(state);
        }
    }
}
