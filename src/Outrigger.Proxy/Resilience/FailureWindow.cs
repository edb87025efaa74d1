namespace Outrigger.Proxy.Resilience;

/// <summary>
/// Successes and failures over a sliding window, kept in <see cref="Buckets"/> buckets so old outcomes fall out as time
/// passes. Not thread-safe: the breaker calls it under its lock.
/// </summary>
internal sealed class FailureWindow(TimeSpan window, TimeProvider time)
{
    private const int Buckets = 10;
    private readonly long _bucketTicks = Math.Max(1, (long)(window.TotalSeconds * time.TimestampFrequency / Buckets));
    private readonly int[] _successes = new int[Buckets];
    private readonly int[] _failures = new int[Buckets];
    private readonly long[] _starts = new long[Buckets];

    public void Record(bool failure)
    {
        var index = Current();
        if (failure)
        {
            _failures[index]++;
        }
        else
        {
            _successes[index]++;
        }
    }

    /// <summary>Attempts and failures in the window now.</summary>
    public (int Total, int Failures) Totals()
    {
        var now = time.GetTimestamp();
        int total = 0, failures = 0;
        for (var i = 0; i < Buckets; i++)
        {
            if (now - _starts[i] < _bucketTicks * Buckets)
            {
                total += _successes[i] + _failures[i];
                failures += _failures[i];
            }
        }

        return (total, failures);
    }

    public void Reset()
    {
        Array.Clear(_successes);
        Array.Clear(_failures);
        Array.Clear(_starts);
    }

    private int Current()
    {
        var now = time.GetTimestamp();
        var slot = now / _bucketTicks;
        var index = (int)(slot % Buckets);
        var start = slot * _bucketTicks;
        if (_starts[index] != start)
        {
            _starts[index] = start;
            _successes[index] = 0;
            _failures[index] = 0;
        }

        return index;
    }
}
