namespace Outrigger.Proxy.Upstream.Http1;

/// <summary>
/// Idle connections of one endpoint, most recently used first (so the least used age out). A connection idle for
/// <c>IdleTimeout</c> is closed when met on take and by a sweep every <c>IdleTimeout</c>; one the peer closed (or sent
/// unasked bytes on) while idle is dropped on take. That check costs a system call, so a connection back for less than
/// <see cref="TrustedIdle"/> is taken without it: under load connections come back within milliseconds, and a peer that
/// closes one that soon without saying <c>Connection: close</c> is met by the client's resend on a new connection.
/// </summary>
internal sealed class Http1Pool : IDisposable
{
    private static readonly TimeSpan TrustedIdle = TimeSpan.FromMilliseconds(250);

    private readonly Lock _lock = new();
    private readonly List<Http1Connection> _idle = [];
    private readonly TimeProvider _time;
    private readonly TimeSpan _idleTimeout;
    private readonly ITimer? _sweep;
    private bool _disposed;

    public Http1Pool(TimeProvider time, TimeSpan idleTimeout)
    {
        _time = time;
        _idleTimeout = idleTimeout;
        if (idleTimeout > TimeSpan.Zero && idleTimeout != Timeout.InfiniteTimeSpan)
        {
            // The timer lives as long as the pool: it must not hold on to the first request's context (Activity, AsyncLocals).
            using (ExecutionContext.SuppressFlow())
            {
                _sweep = time.CreateTimer(static state => ((Http1Pool)state!).Sweep(), this, idleTimeout, idleTimeout);
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _idle.Count;
            }
        }
    }

    public int CountStale()
    {
        lock (_lock)
        {
            var stale = 0;
            foreach (var connection in _idle)
            {
                stale += connection.IsStale() ? 1 : 0;
            }

            return stale;
        }
    }

    /// <summary>The most recently used idle connection that is still usable, or null.</summary>
    public Http1Connection? Take()
    {
        while (true)
        {
            Http1Connection connection;
            lock (_lock)
            {
                if (_idle.Count == 0)
                {
                    return null;
                }

                connection = _idle[^1];
                _idle.RemoveAt(_idle.Count - 1);
            }

            var idle = _time.GetElapsedTime(connection.IdleSince);
            if (!Expired(idle) && (idle < TrustedIdle || !connection.IsStale()))
            {
                return connection;
            }

            connection.Dispose();
        }
    }

    /// <summary>Keeps <paramref name="connection"/> for reuse; false (the caller closes it) when the pool keeps nothing.</summary>
    public bool Add(Http1Connection connection)
    {
        if (_idleTimeout <= TimeSpan.Zero && _idleTimeout != Timeout.InfiniteTimeSpan)
        {
            return false;
        }

        lock (_lock)
        {
            if (_disposed)
            {
                return false;
            }

            connection.IdleSince = _time.GetTimestamp();
            _idle.Add(connection);
            return true;
        }
    }

    /// <summary>Closes the idle connections and keeps no more.</summary>
    public void Dispose()
    {
        Http1Connection[] idle;
        lock (_lock)
        {
            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
        }

        _sweep?.Dispose();
        foreach (var connection in idle)
        {
            connection.Dispose();
        }
    }

    private bool Expired(TimeSpan idle) => _idleTimeout != Timeout.InfiniteTimeSpan && idle >= _idleTimeout;

    private void Sweep()
    {
        Http1Connection[] expired;
        lock (_lock)
        {
            // Oldest first: the expired ones are a prefix.
            var count = 0;
            while (count < _idle.Count && Expired(_time.GetElapsedTime(_idle[count].IdleSince)))
            {
                count++;
            }

            if (count == 0)
            {
                return;
            }

            expired = _idle.GetRange(0, count).ToArray();
            _idle.RemoveRange(0, count);
        }

        foreach (var connection in expired)
        {
            connection.Dispose();
        }
    }
}
